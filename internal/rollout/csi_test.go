package rollout_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// No CSI driver runs here: the tests install the driver's SecretProviderClassPodStatus CRD
// and write the statuses by hand, as the driver would for each pod that mounts a class,
// changing the versions as its rotation would.

// TestSecretProviderClassRotation starts Ferry before the CRD exists (the API is picked up
// when it appears), then rotates the class two pods mount: one pod reporting the new version
// restarts nothing, the second restarts each workload that asks for it, once.
func TestSecretProviderClassRotation(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	crds := crdClient(t)
	crd := crdFrom(t, "testdata/secretproviderclasspodstatuses-crd.yaml")
	if err := crds.Get(context.Background(), client.ObjectKeyFromObject(crd), crd.DeepCopy()); err == nil {
		t.Fatalf("the SecretProviderClassPodStatus CRD is installed before the test; it must start without it")
	}
	opts := fast()
	opts.EnableCSIIntegration = true
	f := startFerry(t, ns, opts)
	if f.logged(`"level":"error"`) {
		t.Errorf("Ferry logged an error while the SecretProviderClassPodStatus API is absent:\n%s", f.logs.String())
	}
	installCRD(t, crds, crd, ns)
	f.waitLog(t, `"msg":"API served: restarts set up"`, `"kind":"SecretProviderClassPodStatus"`)

	for _, s := range []*unstructured.Unstructured{
		podStatus(ns, "app-1", "vault-db", "db-password", "v1"),
		podStatus(ns, "app-2", "vault-db", "db-password", "v1"),
		podStatus(ns, "other-1", "vault-other", "token", "v1"),
	} {
		create(t, s)
	}
	mountsDB := pod(container(nil), csiVolume("vault-db"))
	opted := deployment(ns, "opted", auto(), mountsDB)
	typed := deployment(ns, "typed", map[string]string{rollout.ReloaderSecretProviderClassAuto: "true"}, mountsDB)
	named := deployment(ns, "named", map[string]string{rollout.ReloaderSecretProviderClassReload: "vault-db"}, pod(container(nil)))
	excluded := deployment(ns, "excluded", map[string]string{rollout.ReloaderAuto: "true",
		rollout.ReloaderSecretProviderClassExclude: "vault-db"}, mountsDB)
	bystander := deployment(ns, "bystander", nil, mountsDB)
	other := deployment(ns, "other", auto(), pod(container(nil), csiVolume("vault-other")))
	for _, d := range []client.Object{opted, typed, named, excluded, bystander, other} {
		create(t, d)
	}
	beforeOpted := waitRecorded(t, opted, "secretproviderclass/vault-db")
	beforeTyped := waitRecorded(t, typed, "secretproviderclass/vault-db")
	beforeNamed := waitRecorded(t, named, "secretproviderclass/vault-db")
	beforeExcluded := waitRecorded(t, excluded)
	beforeOther := waitRecorded(t, other, "secretproviderclass/vault-other")
	beforeBystander := readState(t, bystander)

	// The driver rotates each pod on its own poll: while only one reports v2, nothing restarts.
	setVersions(t, ns, "app-1", "vault-db", "db-password", "v2")
	assertUnchanged(t, opted, beforeOpted)

	setVersions(t, ns, "app-2", "vault-db", "db-password", "v2")
	after := waitRolled(t, opted, beforeOpted)
	if want := wantDigest(map[string]map[string]string{"secretproviderclass/vault-db": {"db-password": "v2"}}); after.digest != want {
		t.Errorf("config digest %s, want the keyed digest of the class's new versions %s", after.digest, want)
	}
	if after.recorded == beforeOpted.recorded {
		t.Errorf("the record did not change with the restart: %q", after.recorded)
	}
	waitEvents(t, ns, "opted", "RolloutTriggered: Restarting pods: changed SecretProviderClass vault-db")
	waitRolled(t, typed, beforeTyped)
	waitRolled(t, named, beforeNamed)
	assertUnchanged(t, excluded, beforeExcluded)
	assertUnchanged(t, bystander, beforeBystander)
	assertUnchanged(t, other, beforeOther)
	if got := readState(t, bystander); got.recorded != "" {
		t.Errorf("a Deployment that did not opt in was recorded: %q", got.recorded)
	}

	// A pod that goes (its status deleted) and a new one that reports the same versions change
	// nothing.
	after = readState(t, opted)
	if err := k8s.Delete(context.Background(), podStatus(ns, "app-1", "vault-db")); err != nil {
		t.Fatal(err)
	}
	create(t, podStatus(ns, "app-3", "vault-db", "db-password", "v2"))
	assertUnchanged(t, opted, after)
	if n := f.metric(t, "ferry_rollouts_total", "kind", "Deployment"); n != 3 {
		t.Errorf("ferry_rollouts_total{kind=Deployment} = %v, want 3", n)
	}
}

// TestCSIIntegrationOff checks that without --enable-csi-integration (Reloader's default too)
// SecretProviderClasses are neither watched nor recorded, even where the CRD is installed.
func TestCSIIntegrationOff(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	crds := crdClient(t)
	installCRD(t, crds, crdFrom(t, "testdata/secretproviderclasspodstatuses-crd.yaml"), ns)
	create(t, podStatus(ns, "app-1", "vault-db", "db-password", "v1"))
	f := startFerry(t, ns, fast())

	create(t, secret(ns, "s", nil, "k", "1"))
	auto := deployment(ns, "auto", auto(), pod(container(nil, envFromSecret("s")), csiVolume("vault-db")))
	typed := deployment(ns, "typed", map[string]string{rollout.ReloaderSecretProviderClassAuto: "true"}, pod(container(nil), csiVolume("vault-db")))
	create(t, auto)
	create(t, typed)
	before := waitRecorded(t, auto, "secret/s")
	created := stateOf(t, typed)

	setVersions(t, ns, "app-1", "vault-db", "db-password", "v2")
	assertUnchanged(t, auto, before)
	assertUnchanged(t, typed, created)
	if got := readState(t, typed); got.recorded != "" {
		t.Errorf("a Deployment asking only for a SecretProviderClass was recorded: %q", got.recorded)
	}
	if f.logged("SecretProviderClassPodStatus") {
		t.Errorf("Ferry set up SecretProviderClassPodStatuses with the integration off:\n%s", f.logs.String())
	}
}

func crdClient(t *testing.T) client.Client {
	t.Helper()
	c, err := client.New(restConfig, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// installCRD creates a CRD, waits until the API server serves it in ns, and deletes it at
// the end of the test, waiting until it is gone, so that the next test starts without it.
func installCRD(t *testing.T, crds client.Client, crd *apiextensionsv1.CustomResourceDefinition, ns string) {
	t.Helper()
	ctx := context.Background()
	if err := crds.Create(ctx, crd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := crds.Delete(ctx, crd); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting the CRD: %v", err)
			return
		}
		testenv.Eventually(t, 60*time.Second, "CRD "+crd.Name+" deleted", func() (bool, error) {
			err := crds.Get(ctx, client.ObjectKeyFromObject(crd), crd.DeepCopy())
			return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
		})
	})
	testenv.Eventually(t, 20*time.Second, "CRD "+crd.Name+" served", func() (bool, error) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(rollout.PodStatusGVK.GroupVersion().WithKind(rollout.PodStatusGVK.Kind + "List"))
		err := k8s.List(ctx, list, client.InNamespace(ns))
		return err == nil, err
	})
}

// podStatus is the status the driver writes for pod's mount of class, named as the driver
// names it, reporting id, version pairs.
func podStatus(ns, pod, class string, versions ...string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGroupVersionKind(rollout.PodStatusGVK)
	u.SetNamespace(ns)
	u.SetName(pod + "-" + ns + "-" + class)
	setStatus(u, pod, class, versions...)
	return u
}

func setStatus(u *unstructured.Unstructured, pod, class string, versions ...string) {
	objects := []any{}
	for i := 0; i+1 < len(versions); i += 2 {
		objects = append(objects, map[string]any{"id": versions[i], "version": versions[i+1]})
	}
	u.Object["status"] = map[string]any{"podName": pod, "secretProviderClassName": class, "mounted": true,
		"targetPath": "/var/lib/kubelet/pods/uid/volumes/kubernetes.io~csi/secrets/mount", "objects": objects}
}

// setVersions rewrites the versions pod reports for class, as a rotation does.
func setVersions(t *testing.T, ns, pod, class string, versions ...string) {
	t.Helper()
	update(t, podStatus(ns, pod, class), func(u *unstructured.Unstructured) { setStatus(u, pod, class, versions...) })
}

// csiVolume mounts a SecretProviderClass through the Secrets Store CSI driver.
func csiVolume(class string) corev1.Volume {
	return corev1.Volume{Name: "secrets-" + class, VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{
		Driver: rollout.SecretsStoreDriver, ReadOnly: new(true), VolumeAttributes: map[string]string{"secretProviderClass": class}}}}
}
