package chart

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestHelmInstall installs the chart with its default values (cluster scope, Ferry-managed
// webhook certificates) and runs the real ferry binary as the chart's ServiceAccount, with the
// chart's arguments. Every feature that needs a permission is exercised under that identity:
// leader election, the hash-key Secret, webhook certificates and injection, conversion,
// SecretStores and ClusterSecretStores, target Secrets, events, workload restarts. Ferry's log
// must hold no "forbidden", and a few things outside its job must stay denied.
func TestHelmInstall(t *testing.T) {
	needControlPlane(t)
	ctx := context.Background()
	const ns = "ferry-system"
	ensureNamespace(t, ns, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	if out, err := helm("install", "ferry", chartDir, "--namespace", ns); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Cleanup(func() { uninstall(t, "ferry", ns) })

	objs := releaseObjects(t, ns)
	assertInstalled(t, objs)
	assertCRDsEstablished(t, objs)
	assertRestrictedPod(t, ns, objs)

	kubeconfig, saConfig := serviceAccountKubeconfig(t, ns, "ferry")
	ports := freePorts(t, 3)
	args := append(deploymentArgs(t, objs),
		"--metrics-bind-address=127.0.0.1:"+ports[0], "--health-probe-bind-address=127.0.0.1:"+ports[1],
		"--webhook-host=127.0.0.1", "--webhook-port="+ports[2], "--webhook-url=https://127.0.0.1:"+ports[2])
	logPath := startFerry(t, kubeconfig, ns, args)
	waitHTTP(t, "http://127.0.0.1:"+ports[1]+"/readyz")
	waitWebhookInjected(t, ports[2])

	// Leader election and the objects Ferry creates in its namespace.
	testenv.Eventually(t, 30*time.Second, "leader Lease", func() (bool, error) {
		var lease unstructured.Unstructured
		lease.SetGroupVersionKind(schema.GroupVersionKind{Group: "coordination.k8s.io", Version: "v1", Kind: "Lease"})
		err := cp.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "ferry.ferry.dev"}, &lease)
		return err == nil, err
	})
	for _, name := range []string{"ferry-hash-key", "ferry-webhook-tls"} {
		if err := cp.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &corev1.Secret{}); err != nil {
			t.Errorf("Secret %s that Ferry creates: %v", name, err)
		}
	}

	// A SecretStore, an ExternalSecret written in v1alpha1 (through the conversion webhook),
	// and a ClusterSecretStore whose conditions select the namespace by label.
	app := "app"
	ensureNamespace(t, app, map[string]string{"team": "payments"})
	store := fakeStore(app, "store", "db-password", "s3cr3t-v1")
	mustCreate(t, store)
	mustCreate(t, &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "shared"}, Spec: esv1.SecretStoreSpec{
		Conditions: []esv1.ClusterSecretStoreCondition{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "payments"}}}},
		Provider:   &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: []esv1.FakeProviderData{{Key: "shared-key", Value: "shared-value"}}}},
	}})
	mustApplyV1alpha1(t, app)
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: app, Name: "from-cluster-store"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Kind: esv1.ClusterSecretStoreKind, Name: "shared"},
		Data:           []esv1.ExternalSecretData{{SecretKey: "key", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "shared-key"}}},
	}})
	waitSecret(t, app, "db", "password", "s3cr3t-v1")
	waitSecret(t, app, "from-cluster-store", "key", "shared-value")
	waitEvent(t, app, "db", "Created")

	// A PushSecret (finalizer, status) pushes the synced value back to the store under another
	// key, and an ExternalSecret reads it from there.
	mustPushAndReadBack(t, app)

	// A workload that opted in with Reloader's annotation restarts when the value changes.
	mustCreate(t, workload(app, "api", "db"))
	waitLastDigests(t, app, "api")
	setFakeValue(t, store, "db-password", "s3cr3t-v2")
	forceSync(t, app, "db")
	waitSecret(t, app, "db", "password", "s3cr3t-v2")
	waitRestarted(t, app, "api")

	assertNoForbidden(t, logPath)
	assertDenied(t, saConfig, []authzv1.ResourceAttributes{
		{Verb: "list", Resource: "pods"},
		{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"},
		{Verb: "delete", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions", Name: "externalsecrets.external-secrets.io"},
		{Verb: "update", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions", Name: "certificates.cert-manager.io"},
		{Verb: "update", Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations", Name: "someone-elses-webhook"},
		{Verb: "create", Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations"},
		{Verb: "delete", Group: "apps", Resource: "deployments", Namespace: app},
		{Verb: "update", Group: "coordination.k8s.io", Resource: "leases", Namespace: ns, Name: "another-lease"},
	})
}

// TestHelmInstallNamespaceScope installs the chart for one namespace with Roles only (no
// webhook, CRDs installed by an administrator) and runs the binary under that identity.
func TestHelmInstallNamespaceScope(t *testing.T) {
	needControlPlane(t)
	ctx := context.Background()
	const ns = "team-a"
	installCRDs(t)
	ensureNamespace(t, ns, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	ensureNamespace(t, "team-b", nil)
	installRelease(t, ns, "--set", "scope=namespace", "--set", "webhook.enabled=false", "--set", "crds.install=false")
	objs := releaseObjects(t, ns)
	for _, o := range objs {
		if o.GetNamespace() == "" {
			t.Errorf("the release holds the cluster-scoped %s %s; single-namespace mode must use Roles only", o.GetKind(), o.GetName())
		}
	}
	assertInstalled(t, objs)
	assertRestrictedPod(t, ns, objs)

	logPath, saConfig := startReleaseFerry(t, ns, objs)

	store := fakeStore(ns, "store", "db-password", "v1")
	mustCreate(t, store)
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "store"}, RefreshInterval: esv1.NewDuration(time.Hour),
		Data: []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db-password"}}},
	}})
	waitSecret(t, ns, "db", "password", "v1")
	waitEvent(t, ns, "db", "Created")
	mustCreate(t, workload(ns, "api", "db"))
	waitLastDigests(t, ns, "api")
	setFakeValue(t, store, "db-password", "v2")
	forceSync(t, ns, "db")
	waitRestarted(t, ns, "api")

	// A ClusterSecretStore is outside a single-namespace Ferry: the condition says so.
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wants-cluster-store"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Kind: esv1.ClusterSecretStoreKind, Name: "shared"},
		Data:           []esv1.ExternalSecretData{{SecretKey: "k", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "k"}}},
	}})
	testenv.Eventually(t, 30*time.Second, "ClusterSecretStore refused in single-namespace mode", func() (bool, error) {
		var es esv1.ExternalSecret
		if err := cp.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "wants-cluster-store"}, &es); err != nil {
			return false, err
		}
		for _, c := range es.Status.Conditions {
			if c.Type == esv1.ExternalSecretReady {
				return c.Status == corev1.ConditionFalse && strings.Contains(c.Message, "namespace"), fmt.Errorf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
			}
		}
		return false, nil
	})

	assertNoForbidden(t, logPath)
	assertDenied(t, saConfig, []authzv1.ResourceAttributes{
		{Verb: "get", Resource: "secrets", Namespace: "team-b"},
		{Verb: "list", Resource: "secrets"},
		{Verb: "list", Group: "external-secrets.io", Resource: "clustersecretstores"},
		{Verb: "list", Resource: "namespaces"},
		{Verb: "update", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions", Name: "externalsecrets.external-secrets.io"},
		{Verb: "patch", Group: "apps", Resource: "deployments", Namespace: "team-b"},
	})
}

// installRelease installs the chart as release ferry in ns with the given helm arguments,
// and uninstalls it when the test ends.
func installRelease(t *testing.T, ns string, args ...string) {
	t.Helper()
	if out, err := helm(append([]string{"install", "ferry", chartDir, "--namespace", ns}, args...)...); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Cleanup(func() { uninstall(t, "ferry", ns) })
}

// startReleaseFerry runs the binary with the release's Deployment arguments under its
// ServiceAccount (without a webhook), metrics and probes on loopback, and waits until it is
// ready. It returns the log's path and the ServiceAccount's client config.
func startReleaseFerry(t *testing.T, ns string, objs []*unstructured.Unstructured) (string, *rest.Config) {
	t.Helper()
	kubeconfig, saConfig := serviceAccountKubeconfig(t, ns, "ferry")
	ports := freePorts(t, 2)
	args := append(deploymentArgs(t, objs), "--metrics-bind-address=127.0.0.1:"+ports[0], "--health-probe-bind-address=127.0.0.1:"+ports[1])
	logPath := startFerry(t, kubeconfig, ns, args)
	waitHTTP(t, "http://127.0.0.1:"+ports[1]+"/readyz")
	return logPath, saConfig
}

// uninstall removes a release and what Ferry created outside it, so the next test starts clean.
func uninstall(t *testing.T, release, namespace string) {
	ctx := context.Background()
	if out, err := helm("uninstall", release, "--namespace", namespace); err != nil {
		t.Errorf("%v\n%s", err, out)
	}
	// The release owns the webhook configuration: one left behind would refuse every
	// ExternalSecret write once Ferry is gone.
	vwc := &unstructured.Unstructured{}
	vwc.SetGroupVersionKind(schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingWebhookConfiguration"})
	if err := cp.client.Get(ctx, client.ObjectKey{Name: "ferry-validating-webhook"}, vwc); err == nil {
		t.Errorf("helm uninstall left ValidatingWebhookConfiguration %s behind", vwc.GetName())
		_ = cp.client.Delete(ctx, vwc)
	}
	// The CRDs are kept, and their conversion points at a webhook that no longer runs.
	for _, name := range []string{"externalsecrets", "secretstores", "clustersecretstores"} {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := cp.client.Get(ctx, client.ObjectKey{Name: name + ".external-secrets.io"}, &crd); err != nil {
			continue
		}
		crd.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.NoneConverter}
		_ = cp.client.Update(ctx, &crd)
	}
}

// assertInstalled checks that every object of the release exists on the API server.
func assertInstalled(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(o.GroupVersionKind())
		if err := cp.client.Get(context.Background(), client.ObjectKey{Namespace: o.GetNamespace(), Name: o.GetName()}, got); err != nil {
			t.Errorf("%s %s/%s of the release: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
}

func assertCRDsEstablished(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	crds := find(objs, "CustomResourceDefinition", "")
	if len(crds) == 0 {
		t.Fatal("the release installed no CRDs")
	}
	for _, o := range crds {
		testenv.Eventually(t, 30*time.Second, "CRD "+o.GetName()+" Established", func() (bool, error) {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := cp.client.Get(context.Background(), client.ObjectKey{Name: o.GetName()}, &crd); err != nil {
				return false, err
			}
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextensionsv1.Established {
					return c.Status == apiextensionsv1.ConditionTrue, fmt.Errorf("%s: %s", c.Reason, c.Message)
				}
			}
			return false, nil
		})
	}
}

// assertRestrictedPod creates a Pod from the chart's pod template in a namespace that enforces
// the restricted Pod Security Standard, and checks that a privileged variant is refused there
// (so the check can fail). The Pod never runs: there is no kubelet.
func assertRestrictedPod(t *testing.T, namespace string, objs []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	var dep appsv1.Deployment
	if err := cp.client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "ferry"}, &dep); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, GenerateName: "ferry-pss-"}, Spec: *dep.Spec.Template.Spec.DeepCopy()}
	if err := cp.client.Create(ctx, pod); err != nil {
		t.Fatalf("the chart's Pod is refused in a namespace enforcing the restricted profile: %v", err)
	}
	_ = cp.client.Delete(ctx, pod, client.GracePeriodSeconds(0))
	privileged := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, GenerateName: "ferry-pss-"}, Spec: *dep.Spec.Template.Spec.DeepCopy()}
	yes := true
	privileged.Spec.Containers[0].SecurityContext.Privileged = &yes
	privileged.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = &yes
	err := cp.client.Create(ctx, privileged)
	if err == nil {
		_ = cp.client.Delete(ctx, privileged, client.GracePeriodSeconds(0))
		t.Fatal("a privileged Pod was accepted: the namespace does not enforce the restricted profile, so the check above proves nothing")
	}
	if !strings.Contains(err.Error(), "PodSecurity") {
		t.Errorf("privileged Pod refused for another reason: %v", err)
	}
}

// installCRDs installs the chart's CRDs as a cluster administrator would, when a test needs
// them without installing them through its own release.
func installCRDs(t *testing.T) {
	t.Helper()
	out, err := helm("template", "crds", chartDir, "--show-only", "templates/crds.yaml", "--set", "crds.keep=true")
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		// Owned by the release TestHelmInstall and TestHelmUpgrade install (ferry in
		// ferry-system), so that Helm adopts them whichever test runs first.
		annotations := o.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations["meta.helm.sh/release-name"] = "ferry"
		annotations["meta.helm.sh/release-namespace"] = "ferry-system"
		o.SetAnnotations(annotations)
		if err := apply(context.Background(), o, false); err != nil {
			t.Fatalf("installing CRD %s: %v", o.GetName(), err)
		}
	}
	assertCRDsEstablished(t, objs)
}

func waitWebhookInjected(t *testing.T, port string) {
	t.Helper()
	ctx := context.Background()
	testenv.Eventually(t, 60*time.Second, "conversion webhook injected into the CRDs", func() (bool, error) {
		for _, name := range []string{"externalsecrets", "secretstores", "clustersecretstores"} {
			var crd apiextensionsv1.CustomResourceDefinition
			if err := cp.client.Get(ctx, client.ObjectKey{Name: name + ".external-secrets.io"}, &crd); err != nil {
				return false, err
			}
			conv := crd.Spec.Conversion
			if conv == nil || conv.Webhook == nil || conv.Webhook.ClientConfig == nil || conv.Webhook.ClientConfig.URL == nil ||
				!strings.Contains(*conv.Webhook.ClientConfig.URL, ":"+port+"/") || len(conv.Webhook.ClientConfig.CABundle) == 0 {
				return false, fmt.Errorf("CRD %s not injected yet", crd.Name)
			}
		}
		vwc := &unstructured.Unstructured{}
		vwc.SetGroupVersionKind(schema.GroupVersionKind{Group: "admissionregistration.k8s.io", Version: "v1", Kind: "ValidatingWebhookConfiguration"})
		return cp.client.Get(ctx, client.ObjectKey{Name: "ferry-validating-webhook"}, vwc) == nil, nil
	})
	// The API server must reach the webhook before objects go through it.
	testenv.Eventually(t, 30*time.Second, "v1alpha1 list through the conversion webhook", func() (bool, error) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(schema.GroupVersionKind{Group: esv1.Group, Version: "v1alpha1", Kind: "ExternalSecretList"})
		err := cp.client.List(ctx, list)
		return err == nil, err
	})
}

func fakeStore(namespace, name string, kv ...string) *esv1.SecretStore {
	var data []esv1.FakeProviderData
	for i := 0; i+1 < len(kv); i += 2 {
		data = append(data, esv1.FakeProviderData{Key: kv[i], Value: kv[i+1]})
	}
	return &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: data}}}}
}

func setFakeValue(t *testing.T, store *esv1.SecretStore, key, value string) {
	t.Helper()
	ctx := context.Background()
	for range 10 {
		if err := cp.client.Get(ctx, client.ObjectKeyFromObject(store), store); err != nil {
			t.Fatal(err)
		}
		for i := range store.Spec.Provider.Fake.Data {
			if store.Spec.Provider.Fake.Data[i].Key == key {
				store.Spec.Provider.Fake.Data[i].Value = value
			}
		}
		err := cp.client.Update(ctx, store)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	t.Fatal("updating the store: too many conflicts")
}

// forceSync sets ESO's force-sync annotation, which makes Ferry sync at once.
func forceSync(t *testing.T, namespace, name string) {
	t.Helper()
	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{"force-sync":%q}}}`, time.Now().Format(time.RFC3339Nano))
	if err := cp.client.Patch(context.Background(), es, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
		t.Fatal(err)
	}
}

func mustCreate(t *testing.T, obj client.Object) {
	t.Helper()
	if err := cp.client.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// mustPushAndReadBack pushes key password of Secret db to the fake store "store" as
// pushed-db, with deletionPolicy Delete (so Ferry writes the PushSecret's finalizer), and reads
// it back through an ExternalSecret.
func mustPushAndReadBack(t *testing.T, namespace string) {
	t.Helper()
	ps := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1alpha1",
		"kind":       "PushSecret",
		"metadata":   map[string]any{"name": "push-db", "namespace": namespace},
		"spec": map[string]any{
			"refreshInterval": "1h",
			"deletionPolicy":  "Delete",
			"secretStoreRefs": []any{map[string]any{"name": "store", "kind": "SecretStore"}},
			"selector":        map[string]any{"secret": map[string]any{"name": "db"}},
			"data": []any{map[string]any{"match": map[string]any{
				"secretKey": "password", "remoteRef": map[string]any{"remoteKey": "pushed-db"}}}},
		},
	}}
	if err := cp.client.Create(context.Background(), ps); err != nil {
		t.Fatalf("creating a PushSecret: %v", err)
	}
	testenv.Eventually(t, 30*time.Second, "PushSecret pushed", func() (bool, error) {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(ps.GroupVersionKind())
		if err := cp.client.Get(context.Background(), client.ObjectKeyFromObject(ps), got); err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conds {
			m := c.(map[string]any)
			if m["type"] == "Ready" {
				return m["status"] == "True" && len(got.GetFinalizers()) > 0, fmt.Errorf("Ready=%v %v: %v", m["status"], m["reason"], m["message"])
			}
		}
		return false, nil
	})
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "pushed"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "store"},
		Data:           []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "pushed-db"}}},
	}})
	waitSecret(t, namespace, "pushed", "password", "s3cr3t-v1")
}

// mustApplyV1alpha1 creates the ExternalSecret "db" in ESO's v1alpha1 shape: the API server
// converts it through Ferry's webhook.
func mustApplyV1alpha1(t *testing.T, namespace string) {
	t.Helper()
	es := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "external-secrets.io/v1alpha1",
		"kind":       "ExternalSecret",
		"metadata":   map[string]any{"name": "db", "namespace": namespace},
		"spec": map[string]any{
			"refreshInterval": "1h",
			"secretStoreRef":  map[string]any{"name": "store", "kind": "SecretStore"},
			"target":          map[string]any{"name": "db"},
			"data":            []any{map[string]any{"secretKey": "password", "remoteRef": map[string]any{"key": "db-password"}}},
		},
	}}
	if err := cp.client.Create(context.Background(), es); err != nil {
		t.Fatalf("creating a v1alpha1 ExternalSecret: %v", err)
	}
}

func waitSecret(t *testing.T, namespace, name, key, want string) {
	t.Helper()
	// A minute: on a loaded machine a just-installed operator's first sync (cache sync,
	// store validation, then the read) took over 30 s once.
	testenv.Eventually(t, time.Minute, "Secret "+namespace+"/"+name+" synced", func() (bool, error) {
		var s corev1.Secret
		if err := cp.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &s); err != nil {
			return false, err
		}
		return string(s.Data[key]) == want, nil
	})
}

func waitEvent(t *testing.T, namespace, regarding, reason string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "event "+reason+" on "+regarding, func() (bool, error) {
		var list eventsv1.EventList
		if err := cp.client.List(context.Background(), &list, client.InNamespace(namespace)); err != nil {
			return false, err
		}
		for _, e := range list.Items {
			if e.Regarding.Name == regarding && e.Reason == reason {
				return true, nil
			}
		}
		return false, nil
	})
}

// workload is a Deployment that opted in with Reloader's annotation and reads secret.
func workload(namespace, name, secret string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Annotations: map[string]string{"reloader.stakater.com/auto": "true"}},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1",
					EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: secret}}}}}}},
			},
		},
	}
}

// waitLastDigests waits until Ferry has recorded the workload's sources, so that the next
// change of data is a change.
func waitLastDigests(t *testing.T, namespace, name string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "rollout record on "+name, func() (bool, error) {
		var d appsv1.Deployment
		err := cp.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &d)
		return err == nil && d.Annotations["ferry.dev/last-digests"] != "", err
	})
}

func waitRestarted(t *testing.T, namespace, name string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, name+" restarted", func() (bool, error) {
		var d appsv1.Deployment
		err := cp.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &d)
		return err == nil && d.Spec.Template.Annotations["ferry.dev/config-digest"] != "", err
	})
}

// assertNoForbidden fails when Ferry's log shows a request the API server refused: the chart's
// RBAC lacks something the code does.
func assertNoForbidden(t *testing.T, logPath string) {
	t.Helper()
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(strings.ToLower(line), "forbidden") {
			t.Errorf("Ferry was refused a request under the chart's RBAC: %s", line)
		}
	}
}

// assertDenied checks, as the ServiceAccount itself, that it may not do any of attrs.
func assertDenied(t *testing.T, saConfig *rest.Config, attrs []authzv1.ResourceAttributes) {
	t.Helper()
	clientset, err := kubernetes.NewForConfig(saConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attrs {
		review := &authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &a}}
		got, err := clientset.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), review, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Allowed {
			t.Errorf("the chart's ServiceAccount may %s %s %q in %q: more than Ferry needs", a.Verb, a.Resource, a.Name, a.Namespace)
		}
	}
}

func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var ports []string
	var listeners []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		listeners = append(listeners, ln)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ports = append(ports, port)
	}
	for _, ln := range listeners {
		ln.Close()
	}
	return ports
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, url, func() (bool, error) {
		resp, err := http.Get(url) //nolint:gosec // a loopback URL the test built
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, fmt.Errorf("status %d", resp.StatusCode)
	})
}
