package security

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestCrossNamespaceStoreIsRefused: a SecretStore whose credentials live in another
// namespace is refused by the store controller, and its ExternalSecrets write nothing.
func TestCrossNamespaceStoreIsRefused(t *testing.T) {
	tenant, victim := testenv.Namespace(t, k8s, nil), testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: victim, Name: "aws-creds"},
		StringData: map[string]string{"id": "AKIAVICTIM", "secret": "victim-secret-key"}})
	other := victim
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "borrowed"}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1",
			Auth: esv1.AWSAuth{SecretRef: &esv1.AWSAuthSecretRef{
				AccessKeyID:     esv1.SecretKeySelector{Name: "aws-creds", Namespace: &other, Key: "id"},
				SecretAccessKey: esv1.SecretKeySelector{Name: "aws-creds", Namespace: &other, Key: "secret"},
			}}}}}}
	create(t, store)
	msg := waitStore(t, store, metav1.ConditionFalse)
	want := `spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.namespace: a SecretStore may only reference its own namespace`
	if !strings.HasPrefix(msg, esv1.ReasonInvalidProviderConfig+": ") || !strings.Contains(msg, want) {
		t.Errorf("store condition = %q, want InvalidProviderConfig with %q", msg, want)
	}
	create(t, externalSecret(tenant, "stolen", esv1.SecretStoreRef{Name: "borrowed"}, "db"))
	if msg := waitFailed(t, tenant, "stolen"); !strings.HasPrefix(msg, esv1.ReasonStoreNotReady+": ") {
		t.Errorf("ExternalSecret condition = %q, want StoreNotReady", msg)
	}
	assertNoSecret(t, tenant, "stolen")
}

// TestSecretStoreRefReadsOwnNamespace: a SecretStore reference (spec.secretStoreRef or a
// sourceRef) names a store of the ExternalSecret's own namespace, never another's.
func TestSecretStoreRefReadsOwnNamespace(t *testing.T) {
	tenant, victim := testenv.Namespace(t, k8s, nil), testenv.Namespace(t, k8s, nil)
	fakeStore(t, victim, "victim-store", nil, "db", "victim-value")
	create(t, externalSecret(tenant, "by-ref", esv1.SecretStoreRef{Name: "victim-store", Kind: esv1.SecretStoreKind}, "db"))
	es := externalSecret(tenant, "by-source", esv1.SecretStoreRef{Name: "victim-store"}, "db")
	es.Spec.Data[0].SourceRef = &esv1.StoreSourceRef{SecretStoreRef: &esv1.SecretStoreRef{Name: "victim-store", Kind: esv1.SecretStoreKind}}
	create(t, es)
	for _, name := range []string{"by-ref", "by-source"} {
		msg := waitFailed(t, tenant, name)
		if !strings.HasPrefix(msg, esv1.ReasonStoreNotFound+": ") || !strings.Contains(msg, "in namespace "+tenant) {
			t.Errorf("%s: condition = %q, want StoreNotFound in namespace %s", name, msg, tenant)
		}
		assertNoSecret(t, tenant, name)
	}
}

// TestKubernetesProviderReadsWithTenantCredentials: the kubernetes provider reads another
// namespace only with the credentials the store names (here a ServiceAccount of the
// tenant without RBAC), never with Ferry's own.
func TestKubernetesProviderReadsWithTenantCredentials(t *testing.T) {
	tenant, victim := testenv.Namespace(t, k8s, nil), testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: victim, Name: "db"},
		StringData: map[string]string{"password": "victim-password-value"}})
	create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "reader"}})
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "cluster"}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{Kubernetes: &esv1.KubernetesProvider{
			Server:          esv1.KubernetesServer{CABundle: cp.Config.CAData, URL: "kubernetes.default"},
			RemoteNamespace: victim,
			Auth:            &esv1.KubernetesAuth{ServiceAccount: &esv1.ServiceAccountSelector{Name: "reader"}},
		}}}}
	create(t, store)
	// The store checks what its credentials may do, and says so.
	storeMsg := waitStore(t, store, metav1.ConditionFalse)
	if want := `the store's credentials may not get Secrets in namespace "` + victim + `"`; !strings.Contains(storeMsg, want) {
		t.Errorf("store condition = %q, want %q", storeMsg, want)
	}
	es := externalSecret(tenant, "stolen", esv1.SecretStoreRef{Name: "cluster"}, "db")
	es.Spec.Data[0].RemoteRef.Property = "password"
	create(t, es)
	msg := waitFailed(t, tenant, "stolen")
	if !strings.HasPrefix(msg, esv1.ReasonStoreNotReady+": ") {
		t.Errorf("condition = %q, want StoreNotReady", msg)
	}
	if strings.Contains(msg, "victim-password-value") {
		t.Errorf("the condition quotes the victim's value: %q", msg)
	}
	assertNoSecret(t, tenant, "stolen")
}

// TestTemplateFromReadsOwnNamespace: templateFrom ConfigMaps and Secrets come from the
// ExternalSecret's namespace. The API has no namespace field there; one written anyway is
// dropped by the API server, and the read still stays in the ExternalSecret's namespace.
func TestTemplateFromReadsOwnNamespace(t *testing.T) {
	tenant, victim := testenv.Namespace(t, k8s, nil), testenv.Namespace(t, k8s, nil)
	fakeStore(t, tenant, "store", nil, "k", "v")
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: victim, Name: "tpl"},
		Data: map[string]string{"t": "victim-template {{ .value }}"}})
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: victim, Name: "tpl"},
		StringData: map[string]string{"t": "victim-secret-template"}})
	for _, kind := range []string{"configMap", "secret"} {
		manifest := `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: from-` + strings.ToLower(kind) + `, namespace: ` + tenant + `}
spec:
  secretStoreRef: {name: store}
  refreshInterval: 1h
  data: [{secretKey: value, remoteRef: {key: k}}]
  target:
    template:
      templateFrom:
      - ` + kind + `: {name: tpl, namespace: ` + victim + `, items: [{key: t}]}
`
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(manifest), &obj.Object); err != nil {
			t.Fatal(err)
		}
		create(t, obj)
		name := "from-" + strings.ToLower(kind)
		display := map[string]string{"configMap": "ConfigMap", "secret": "Secret"}[kind]
		msg := waitFailed(t, tenant, name)
		if want := display + " tpl not found in namespace " + tenant; !strings.Contains(msg, want) {
			t.Errorf("%s: condition = %q, want %q", name, msg, want)
		}
		assertNoSecret(t, tenant, name)
	}
	// The same name in the tenant's namespace is what is used.
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "tpl"},
		Data: map[string]string{"t": "tenant-template {{ .value }}"}})
	forceSync(t, tenant, "from-configmap")
	if got := string(waitSecret(t, tenant, "from-configmap").Data["t"]); got != "tenant-template v" {
		t.Errorf("rendered %q, want the tenant's own template", got)
	}
}

// TestClusterSecretStoreConditionsHoldForEveryReference: a ClusterSecretStore whose
// conditions select one namespace serves no other, whichever field names it:
// spec.secretStoreRef, data[].sourceRef.storeRef, dataFrom[].sourceRef.storeRef, a
// ClusterExternalSecret's template, a PushSecret's secretStoreRefs by name or by labels.
func TestClusterSecretStoreConditionsHoldForEveryReference(t *testing.T) {
	allowed := testenv.Namespace(t, k8s, nil)
	denied := testenv.Namespace(t, k8s, map[string]string{"ferry-test-tenant": "denied"})
	css := "restricted-" + allowed
	fakeStore(t, "", css, []esv1.ClusterSecretStoreCondition{{Namespaces: []esv1.NamespaceName{esv1.NamespaceName(allowed)}}},
		"k", `{"a":"cluster-value"}`)
	var store esv1.ClusterSecretStore
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: css}, &store); err != nil {
		t.Fatal(err)
	}
	store.Labels = map[string]string{"tier": css}
	if err := k8s.Update(context.Background(), &store); err != nil {
		t.Fatal(err)
	}
	fakeStore(t, denied, "local", nil, "k", "local-value")
	cssRef := esv1.SecretStoreRef{Name: css, Kind: esv1.ClusterSecretStoreKind}

	// Allowed: the positive control.
	create(t, externalSecret(allowed, "ok", cssRef, "k"))
	waitSecret(t, allowed, "ok")

	byRef := externalSecret(denied, "by-secretstoreref", cssRef, "k")
	byData := externalSecret(denied, "by-data-sourceref", esv1.SecretStoreRef{Name: "local"}, "k")
	byData.Spec.Data[0].SourceRef = &esv1.StoreSourceRef{SecretStoreRef: &cssRef}
	byDataFrom := externalSecret(denied, "by-datafrom-sourceref", esv1.SecretStoreRef{Name: "local"}, "k")
	byDataFrom.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "k"},
		SourceRef: &esv1.StoreGeneratorSourceRef{SecretStoreRef: &cssRef}}}
	for _, es := range []*esv1.ExternalSecret{byRef, byData, byDataFrom} {
		create(t, es)
	}
	ces := &esv1.ClusterExternalSecret{ObjectMeta: metav1.ObjectMeta{Name: "fanout-" + denied}, Spec: esv1.ClusterExternalSecretSpec{
		ExternalSecretName: "by-clusterexternalsecret",
		NamespaceSelector:  &metav1.LabelSelector{MatchLabels: map[string]string{"ferry-test-tenant": "denied"}},
		ExternalSecretSpec: externalSecret("", "", cssRef, "k").Spec,
	}}
	create(t, ces)
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), ces) })
	for _, name := range []string{"by-secretstoreref", "by-data-sourceref", "by-datafrom-sourceref", "by-clusterexternalsecret"} {
		msg := waitFailed(t, denied, name)
		if want := `ClusterSecretStore "` + css + `" does not serve namespace ` + denied; !strings.HasPrefix(msg, esv1.ReasonStoreNotAllowed+": ") ||
			!strings.Contains(msg, want) {
			t.Errorf("%s: condition = %q, want StoreNotAllowed: %s", name, msg, want)
		}
		assertNoSecret(t, denied, name)
	}

	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: denied, Name: "to-push"}, StringData: map[string]string{"v": "pushed-value"}})
	for name, ref := range map[string]esv1alpha1.PushSecretStoreRef{
		"push-by-name":   {Name: css, Kind: esv1.ClusterSecretStoreKind},
		"push-by-labels": {Kind: esv1.ClusterSecretStoreKind, LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": css}}},
	} {
		create(t, &esv1alpha1.PushSecret{ObjectMeta: metav1.ObjectMeta{Namespace: denied, Name: name}, Spec: esv1alpha1.PushSecretSpec{
			SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{ref},
			Selector:        esv1alpha1.PushSecretSelector{Secret: &esv1alpha1.PushSecretSecret{Name: "to-push"}},
			Data:            []esv1alpha1.PushSecretData{{Match: esv1alpha1.PushSecretMatch{SecretKey: "v", RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: "stolen"}}}},
		}})
		var msg string
		testenv.Eventually(t, 20*time.Second, name+" refused", func() (bool, error) {
			var ps esv1alpha1.PushSecret
			if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: denied, Name: name}, &ps); err != nil {
				return false, err
			}
			for _, c := range ps.Status.Conditions {
				if c.Type == "Ready" {
					msg = c.Message
					return c.Status == metav1.ConditionFalse, nil
				}
			}
			return false, nil
		})
		if want := `ClusterSecretStore "` + css + `" does not serve namespace ` + denied; !strings.Contains(msg, want) {
			t.Errorf("%s: condition = %q, want %q", name, msg, want)
		}
	}
}

// TestRolloutStaysInNamespace: a workload restarts for changes of the Secrets of its own
// namespace only, even when it names another namespace's Secret in its annotations.
func TestRolloutStaysInNamespace(t *testing.T) {
	tenant, other := testenv.Namespace(t, k8s, nil), testenv.Namespace(t, k8s, nil)
	for _, ns := range []string{tenant, other} {
		create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shared"}, StringData: map[string]string{"v": "1"}})
	}
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: other, Name: "theirs"}, StringData: map[string]string{"v": "1"}})
	labels := map[string]string{"app": "app"}
	create(t, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "app", Annotations: map[string]string{
			"reloader.stakater.com/auto":          "true",
			"secret.reloader.stakater.com/reload": other + "/theirs,theirs," + other + "/shared",
		}},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1", EnvFrom: []corev1.EnvFromSource{
					{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "shared"}}}}}}}},
		},
	})
	deployment := func() *appsv1.Deployment {
		var d appsv1.Deployment
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: tenant, Name: "app"}, &d); err != nil {
			t.Fatal(err)
		}
		return &d
	}
	testenv.Eventually(t, 20*time.Second, "workload recorded", func() (bool, error) {
		return deployment().Annotations[rollout.AnnotationLastDigests] != "", nil
	})
	generation := deployment().Generation

	for _, name := range []string{"shared", "theirs"} {
		setSecretValue(t, other, name, "2")
	}
	time.Sleep(3 * time.Second) // no window, no minimum interval: a restart would be immediate
	if d := deployment(); d.Generation != generation || d.Spec.Template.Annotations[rollout.AnnotationConfigDigest] != "" {
		t.Fatalf("a change in namespace %s restarted a workload of %s", other, tenant)
	}
	// The positive control: its own Secret restarts it.
	setSecretValue(t, tenant, "shared", "2")
	testenv.Eventually(t, 20*time.Second, "restarted for its own Secret", func() (bool, error) {
		return deployment().Spec.Template.Annotations[rollout.AnnotationConfigDigest] != "", nil
	})
}

func setSecretValue(t *testing.T, ns, name, value string) {
	t.Helper()
	var s corev1.Secret
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		t.Fatal(err)
	}
	s.Data = map[string][]byte{"v": []byte(value)}
	if err := k8s.Update(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
}

func forceSync(t *testing.T, ns, name string) {
	t.Helper()
	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	patch := `{"metadata":{"annotations":{"force-sync":"` + time.Now().Format(time.RFC3339Nano) + `"}}}`
	if err := k8s.Patch(context.Background(), es, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
		t.Fatal(err)
	}
}
