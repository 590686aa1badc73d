package rollout_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

const (
	oldPassword = "old-pa55-Qz81x"
	newPassword = "new-pa55-Wk27y"
)

func auto() map[string]string { return map[string]string{rollout.ReloaderAuto: "true"} }

func TestProviderChangeRestartsOnce(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	f := startFerry(t, ns, fast())
	store := fakeStore(t, ns, "store", "db", oldPassword)
	create(t, externalSecret(ns, "db", "store", "password", "db"))
	waitSecretValue(t, ns, "db", "password", oldPassword)
	app := deployment(ns, "app", auto(), pod(container(nil), secretVolume("db")))
	create(t, app)

	before := waitRecorded(t, app, "secret/db")
	assertUnchanged(t, app, before) // first sight records, and restarts nothing
	if kcm {
		waitReplicaSets(t, app, 1)
	}

	setProvider(t, store, "db", newPassword)
	waitSecretValue(t, ns, "db", "password", newPassword)
	after := waitRolled(t, app, before)
	if want := wantDigest(map[string]map[string]string{"secret/db": {"password": newPassword}}); after.digest != want {
		t.Errorf("pod-template digest = %s, want the keyed digest of the new data %s", after.digest, want)
	}
	waitEvents(t, ns, "app", "RolloutTriggered: Restarting pods: changed Secret db")
	if n := f.metric(t, "ferry_rollouts_total", "kind", "Deployment"); n != 1 {
		t.Errorf("ferry_rollouts_total{kind=Deployment} = %v, want 1", n)
	}
	if kcm { // the Deployment controller made a ReplicaSet for the new pod template
		waitReplicaSets(t, app, 2)
		t.Log("kube-controller-manager made a second ReplicaSet for the restarted pod template")
	} else {
		t.Log("no kube-controller-manager in the assets directory: the pod-template change is the evidence")
	}
	for _, value := range []string{oldPassword, newPassword} {
		if strings.Contains(f.logs.String(), value) {
			t.Errorf("Ferry's log holds a secret value")
		}
		for _, e := range events(t, ns, "app") {
			if strings.Contains(e, value) {
				t.Errorf("event %q holds a secret value", e)
			}
		}
	}
}

func TestChangesWithinWindowRestartOnce(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.Window = 3 * time.Second
	f := startFerry(t, ns, opts)
	create(t, secret(ns, "a", nil, "k", "a1"))
	create(t, secret(ns, "b", nil, "k", "b1"))
	app := deployment(ns, "app", auto(), pod(container([]corev1.EnvVar{envSecret("a", "k")}, envFromSecret("b"))))
	create(t, app)
	before := waitRecorded(t, app, "secret/a:k", "secret/b")

	setSecret(t, ns, "a", "k", "a2")
	time.Sleep(500 * time.Millisecond)
	setSecret(t, ns, "b", "k", "b2")

	after := waitRolled(t, app, before)
	want := wantDigest(map[string]map[string]string{"secret/a:k": {"k": "a2"}, "secret/b": {"k": "b2"}})
	if after.digest != want {
		t.Errorf("the one restart does not carry both changes: digest %s, want %s", after.digest, want)
	}
	waitEvents(t, ns, "app", "RolloutTriggered: Restarting pods: changed Secret a, Secret b")
	if n := f.metric(t, "ferry_rollouts_total", "kind", "Deployment"); n != 1 {
		t.Errorf("ferry_rollouts_total = %v, want 1", n)
	}
}

func TestFerryRestartRestartsNothing(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.Window = 2 * time.Second
	f := startFerry(t, ns, opts)
	store := fakeStore(t, ns, "store", "db", oldPassword)
	create(t, externalSecret(ns, "db", "store", "password", "db"))
	waitSecretValue(t, ns, "db", "password", oldPassword)
	create(t, configMap(ns, "settings", "mode", "blue"))
	app := deployment(ns, "app", auto(), pod(container(nil, envFromConfigMap("settings")), secretVolume("db")))
	create(t, app)
	before := waitRecorded(t, app, "configmap/settings", "secret/db")

	// A new process re-lists everything and reconciles the workload: nothing restarts.
	f.stop(t)
	f = startFerry(t, ns, opts)
	f.waitLog(t, `"msg":"Workload up to date"`, `"controller":"rollout-deployment"`, `"name":"app"`)
	assertUnchanged(t, app, before)
	if got := readState(t, app); got.recorded != before.recorded {
		t.Errorf("recorded digests changed across the restart: %q → %q", before.recorded, got.recorded)
	}

	// A change that the old process saw but had not rolled out yet (it stops within the
	// window) is rolled out once by the next one.
	setProvider(t, store, "db", newPassword)
	waitSecretValue(t, ns, "db", "password", newPassword)
	f.waitLog(t, `"msg":"Restart waits"`, `"reason":"window"`, `"name":"app"`)
	f.stop(t)
	if got := readState(t, app); got.template != before.template {
		t.Fatalf("the first process restarted the workload within the window")
	}
	startFerry(t, ns, opts)
	after := waitRolled(t, app, before)
	want := wantDigest(map[string]map[string]string{"secret/db": {"password": newPassword}, "configmap/settings": {"mode": "blue"}})
	if after.digest != want {
		t.Errorf("digest %s, want %s", after.digest, want)
	}

	// And the new process still restarts for the next change.
	setConfigMap(t, ns, "settings", "mode", "green")
	waitRolled(t, app, after)
}

func TestIgnoredSourceRestartsNothing(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	startFerry(t, ns, fast())
	create(t, secret(ns, "ignored", map[string]string{rollout.ReloaderIgnore: "true"}, "k", "1"))
	create(t, secret(ns, "watched", nil, "k", "1"))
	app := deployment(ns, "app", auto(), pod(container([]corev1.EnvVar{envSecret("ignored", "k"), envSecret("watched", "k")})))
	create(t, app)
	before := waitRecorded(t, app, "secret/watched:k")

	setSecret(t, ns, "ignored", "k", "2")
	assertUnchanged(t, app, before)

	setSecret(t, ns, "watched", "k", "2")
	waitRolled(t, app, before)
	waitEvents(t, ns, "app", "RolloutTriggered: Restarting pods: changed Secret watched")
}

func TestDeletedAndRecreatedSource(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	startFerry(t, ns, fast())
	create(t, secret(ns, "s", nil, "k", "1"))
	app := deployment(ns, "app", auto(), pod(container(nil, envFromSecret("s"))))
	create(t, app)
	before := waitRecorded(t, app, "secret/s")

	if err := k8s.Delete(context.Background(), secret(ns, "s", nil)); err != nil {
		t.Fatal(err)
	}
	assertUnchanged(t, app, before) // a deletion restarts nothing, and keeps the record
	if got := readState(t, app); got.recorded != before.recorded {
		t.Errorf("record after the deletion = %q, want %q kept", got.recorded, before.recorded)
	}

	create(t, secret(ns, "s", nil, "k", "2")) // rotation by delete and create
	waitRolled(t, app, before)
	waitEvents(t, ns, "app", "RolloutTriggered: Restarting pods: changed Secret s")
}

func TestNamedSources(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	startFerry(t, ns, fast())
	for _, name := range []string{"listed", "unlisted", "elsewhere"} {
		create(t, secret(ns, name, nil, "k", "1"))
	}
	create(t, configMap(ns, "settings", "k", "1"))
	app := deployment(ns, "app", map[string]string{
		rollout.ReloaderSecretReload: "listed, elsewhere", // Reloader's form
		rollout.FerryConfigMapReload: "settings",          // Ferry's form
	}, pod(container([]corev1.EnvVar{envSecret("listed", "k"), envSecret("unlisted", "k")}, envFromConfigMap("settings"))))
	create(t, app)
	before := waitRecorded(t, app, "configmap/settings", "secret/elsewhere", "secret/listed:k")

	setSecret(t, ns, "unlisted", "k", "2")
	assertUnchanged(t, app, before)

	setSecret(t, ns, "elsewhere", "k", "2") // named, though the pod template does not use it
	s := waitRolled(t, app, before)
	setSecret(t, ns, "listed", "k", "2")
	s = waitRolled(t, app, s)
	setConfigMap(t, ns, "settings", "k", "2")
	waitRolled(t, app, s)
}

func TestSearchAndMatch(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	startFerry(t, ns, fast())
	match := map[string]string{rollout.ReloaderMatch: "true"}
	create(t, secret(ns, "matched", match, "k", "1"))
	create(t, secret(ns, "plain", nil, "k", "1"))
	create(t, secret(ns, "unused", match, "k", "1"))
	app := deployment(ns, "app", map[string]string{rollout.ReloaderSearch: "true"},
		pod(container([]corev1.EnvVar{envSecret("matched", "k"), envSecret("plain", "k")})))
	create(t, app)
	before := waitRecorded(t, app, "secret/matched:k")

	setSecret(t, ns, "plain", "k", "2")  // used, not tagged
	setSecret(t, ns, "unused", "k", "2") // tagged, not used
	assertUnchanged(t, app, before)

	setSecret(t, ns, "matched", "k", "2")
	waitRolled(t, app, before)
}

func TestConfigMapChange(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	startFerry(t, ns, fast())
	create(t, configMap(ns, "settings", "mode", "blue"))
	create(t, secret(ns, "creds", nil, "k", "1"))
	app := deployment(ns, "app", map[string]string{rollout.ReloaderConfigMapAuto: "true"},
		pod(container([]corev1.EnvVar{envSecret("creds", "k")}), configMapVolume("settings")))
	create(t, app)
	before := waitRecorded(t, app, "configmap/settings")

	setSecret(t, ns, "creds", "k", "2") // configmap auto: Secrets do not count
	assertUnchanged(t, app, before)

	setConfigMap(t, ns, "settings", "mode", "green")
	after := waitRolled(t, app, before)
	if want := wantDigest(map[string]map[string]string{"configmap/settings": {"mode": "green"}}); after.digest != want {
		t.Errorf("digest %s, want %s", after.digest, want)
	}
	waitEvents(t, ns, "app", "RolloutTriggered: Restarting pods: changed ConfigMap settings")
}

func TestStatefulSetAndDaemonSet(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	f := startFerry(t, ns, fast())
	create(t, secret(ns, "shared", nil, "k", "1"))
	sts := statefulSet(ns, "db", auto(), pod(container(nil), projectedSecretVolume("shared")))
	ds := daemonSet(ns, "agent", map[string]string{rollout.FerrySecretAuto: "true"}, pod(container(nil, envFromSecret("shared"))))
	create(t, sts)
	create(t, ds)
	stsBefore := waitRecorded(t, sts, "secret/shared")
	dsBefore := waitRecorded(t, ds, "secret/shared")

	setSecret(t, ns, "shared", "k", "2")
	waitRolled(t, sts, stsBefore)
	waitRolled(t, ds, dsBefore)
	for _, kind := range []string{"StatefulSet", "DaemonSet"} {
		if n := f.metric(t, "ferry_rollouts_total", "kind", kind); n != 1 {
			t.Errorf("ferry_rollouts_total{kind=%s} = %v, want 1", kind, n)
		}
	}
}

func TestUnannotatedWorkloadNeverTouched(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	startFerry(t, ns, fast())
	create(t, secret(ns, "shared", nil, "k", "1"))
	watched := deployment(ns, "watched", auto(), pod(container(nil, envFromSecret("shared"))))
	bystander := deployment(ns, "bystander", nil, pod(container(nil, envFromSecret("shared"))))
	create(t, watched)
	create(t, bystander)
	created := stateOf(t, bystander)
	before := waitRecorded(t, watched, "secret/shared")

	setSecret(t, ns, "shared", "k", "2")
	waitRolled(t, watched, before)

	got := readState(t, bystander)
	if got.template != created.template {
		t.Errorf("the un-annotated Deployment's pod template changed")
	}
	for key := range bystander.Annotations {
		if strings.Contains(key, "ferry.dev") {
			t.Errorf("the un-annotated Deployment carries %s", key)
		}
	}
	if !kcm && got.resourceVersion != created.resourceVersion {
		t.Errorf("the un-annotated Deployment was written: resourceVersion %s → %s", created.resourceVersion, got.resourceVersion)
	}
	if len(events(t, ns, "bystander")) != 0 {
		t.Errorf("events about the un-annotated Deployment: %q", events(t, ns, "bystander"))
	}
}

func TestPausedDeploymentRestartsAfterResume(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	f := startFerry(t, ns, fast())
	create(t, secret(ns, "s", nil, "k", "1"))
	app := deployment(ns, "app", auto(), pod(container(nil, envFromSecret("s"))))
	app.Spec.Paused = true
	create(t, app)
	before := waitRecorded(t, app, "secret/s")

	setSecret(t, ns, "s", "k", "2")
	waitEvents(t, ns, "app", "RolloutSkipped: Not restarting while paused; changed: Secret s")
	assertUnchanged(t, app, before)
	if n := f.metric(t, "ferry_rollouts_skipped_total", "kind", "Deployment", "reason", "paused"); n != 1 {
		t.Errorf("ferry_rollouts_skipped_total{reason=paused} = %v, want 1", n)
	}

	update(t, app, func(d *appsv1.Deployment) { d.Spec.Paused = false })
	resumed := readState(t, app)
	waitRolled(t, app, resumed)
}

func TestGovernance(t *testing.T) {
	t.Run("global rate", func(t *testing.T) {
		ns := testenv.Namespace(t, k8s, nil)
		opts := fast()
		opts.PerMinute = 1 // one restart now, the next a minute later
		f := startFerry(t, ns, opts)
		create(t, secret(ns, "shared", nil, "k", "1"))
		first := deployment(ns, "first", auto(), pod(container(nil, envFromSecret("shared"))))
		second := deployment(ns, "second", auto(), pod(container(nil, envFromSecret("shared"))))
		create(t, first)
		create(t, second)
		b1, b2 := waitRecorded(t, first, "secret/shared"), waitRecorded(t, second, "secret/shared")

		setSecret(t, ns, "shared", "k", "2")
		testenv.Eventually(t, 20*time.Second, "one restart", func() (bool, error) {
			return f.metric(t, "ferry_rollouts_total", "kind", "Deployment") == 1, nil
		})
		time.Sleep(settle)
		if restarts := len(templateChanges(t, first, b1, 0)) + len(templateChanges(t, second, b2, 0)); restarts != 1 {
			t.Errorf("%d restarts within the first minute, want 1", restarts)
		}
		if n := f.metric(t, "ferry_rollouts_skipped_total", "kind", "Deployment", "reason", "rate-limit"); n != 1 {
			t.Errorf("ferry_rollouts_skipped_total{reason=rate-limit} = %v, want 1", n)
		}
	})
	t.Run("per-workload interval", func(t *testing.T) {
		ns := testenv.Namespace(t, k8s, nil)
		opts := fast()
		opts.MinInterval = time.Hour
		f := startFerry(t, ns, opts)
		create(t, secret(ns, "s", nil, "k", "1"))
		app := deployment(ns, "app", auto(), pod(container(nil, envFromSecret("s"))))
		create(t, app)
		before := waitRecorded(t, app, "secret/s")

		setSecret(t, ns, "s", "k", "2")
		after := waitRolled(t, app, before)
		setSecret(t, ns, "s", "k", "3")
		assertUnchanged(t, app, after)
		if n := f.metric(t, "ferry_rollouts_skipped_total", "kind", "Deployment", "reason", "min-interval"); n != 1 {
			t.Errorf("ferry_rollouts_skipped_total{reason=min-interval} = %v, want 1", n)
		}
	})
}

// TestSourceCacheHoldsNoData checks what the metadata cache of sources keeps: Secrets that
// are not managed (managed ones are in the manager's cache), ConfigMaps, and of each only
// its identity and the annotations Ferry reads — not kubectl's last-applied-configuration,
// which holds a Secret's data.
func TestSourceCacheHoldsNoData(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	lastApplied := `{"apiVersion":"v1","kind":"Secret","data":{"k":"` + newPassword + `"}}`
	create(t, secret(ns, "plain", map[string]string{rollout.ReloaderIgnore: "true",
		corev1.LastAppliedConfigAnnotation: lastApplied, "team": "a"}, "k", newPassword))
	managed := secret(ns, "managed", nil, "k", newPassword)
	managed.Labels = map[string]string{esv1.LabelManaged: esv1.LabelManagedValue}
	create(t, managed)
	create(t, configMap(ns, "settings", "k", "v"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := rollout.NewSourceCache(restConfig, k8s.Scheme(), ns)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(ctx) }()
	list := &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "SecretList"}}
	testenv.Eventually(t, 10*time.Second, "Secret metadata listed", func() (bool, error) {
		err := c.List(ctx, list, client.InNamespace(ns))
		return err == nil && len(list.Items) > 0, err
	})
	if len(list.Items) != 1 || list.Items[0].Name != "plain" {
		t.Fatalf("Secrets in the metadata cache: %v, want only the unmanaged one", names(list.Items))
	}
	if got := list.Items[0].Annotations; len(got) != 1 || got[rollout.ReloaderIgnore] != "true" {
		t.Errorf("cached annotations = %v, want only %s", got, rollout.ReloaderIgnore)
	}
	if list.Items[0].ManagedFields != nil || list.Items[0].Labels != nil {
		t.Errorf("cached metadata keeps managed fields or labels")
	}
	cms := &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMapList"}}
	testenv.Eventually(t, 10*time.Second, "ConfigMap metadata listed", func() (bool, error) {
		err := c.List(ctx, cms, client.InNamespace(ns))
		return err == nil && containsName(cms.Items, "settings"), err
	})
}

func names(items []metav1.PartialObjectMetadata) []string {
	var out []string
	for _, i := range items {
		out = append(out, i.Name)
	}
	return out
}

func containsName(items []metav1.PartialObjectMetadata, name string) bool {
	for _, i := range items {
		if i.Name == name {
			return true
		}
	}
	return false
}

// waitReplicaSets waits until the Deployment owns n ReplicaSets: the controller manager made
// a new one for the new pod template.
func waitReplicaSets(t *testing.T, d *appsv1.Deployment, n int) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "ReplicaSets of "+d.Name, func() (bool, error) {
		var list appsv1.ReplicaSetList
		if err := k8s.List(context.Background(), &list, client.InNamespace(d.Namespace)); err != nil {
			return false, err
		}
		owned := 0
		for _, rs := range list.Items {
			if owner := metav1.GetControllerOf(&rs); owner != nil && owner.Name == d.Name {
				owned++
			}
		}
		return owned == n, nil
	})
}
