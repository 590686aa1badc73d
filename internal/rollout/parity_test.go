package rollout_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/digest"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// Tests of Reloader's annotations and flags, one behaviour each; docs/rollout.md names them.

func TestPodTemplateAnnotations(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	startFerry(t, ns, fast())
	create(t, secret(ns, "s", nil, "k", "1"))
	create(t, configMap(ns, "c", "k", "1"))
	// Auto on the pod template only, as charts that expose only pod annotations set it.
	onTemplate := deployment(ns, "on-template", nil, pod(container(nil, envFromSecret("s"))))
	onTemplate.Spec.Template.Annotations = map[string]string{rollout.ReloaderAuto: "true"}
	// The workload's own metadata speaks for the kinds it names: "false" there wins.
	optedOut := deployment(ns, "opted-out", map[string]string{rollout.ReloaderAuto: "false"}, pod(container(nil, envFromSecret("s"))))
	optedOut.Spec.Template.Annotations = map[string]string{rollout.ReloaderAuto: "true"}
	// Metadata names Secrets; the template's ConfigMap auto still counts for ConfigMaps.
	mixed := deployment(ns, "mixed", map[string]string{rollout.ReloaderSecretReload: "s"}, pod(container(nil, envFromConfigMap("c"))))
	mixed.Spec.Template.Annotations = map[string]string{rollout.ReloaderConfigMapAuto: "true"}
	for _, d := range []*appsv1.Deployment{onTemplate, optedOut, mixed} {
		create(t, d)
	}
	before := waitRecorded(t, onTemplate, "secret/s")
	mixedBefore := waitRecorded(t, mixed, "configmap/c", "secret/s")

	setSecret(t, ns, "s", "k", "2")
	waitRolled(t, onTemplate, before)
	mixedAfter := waitRolled(t, mixed, mixedBefore)
	setConfigMap(t, ns, "c", "k", "2")
	waitRolled(t, mixed, mixedAfter)
	if got := readState(t, optedOut); got.recorded != "" || got.digest != "" {
		t.Errorf("auto \"false\" on the metadata did not win over the pod template: %+v", got)
	}
}

func TestRegexReloadListAndExclude(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	startFerry(t, ns, fast())
	for _, name := range []string{"app-one", "app-skip", "db", "my-app-x", "other"} {
		create(t, secret(ns, name, nil, "k", "1"))
	}
	create(t, configMap(ns, "settings", "k", "1"))
	create(t, configMap(ns, "excluded", "k", "1"))
	app := deployment(ns, "app", map[string]string{
		rollout.ReloaderSecretReload:     "app-.*, db",
		rollout.ReloaderSecretExclude:    "app-skip",
		rollout.ReloaderConfigMapAuto:    "true",
		rollout.ReloaderConfigMapExclude: "excluded",
	}, pod(container(nil, envFromSecret("other"), envFromConfigMap("settings"), envFromConfigMap("excluded"))))
	create(t, app)
	before := waitRecorded(t, app, "configmap/settings", "secret/app-one", "secret/db")

	setSecret(t, ns, "other", "k", "2")    // used, but not in the list
	setSecret(t, ns, "app-skip", "k", "2") // matches, but excluded
	setSecret(t, ns, "my-app-x", "k", "2") // the expression is anchored
	setConfigMap(t, ns, "excluded", "k", "2")
	assertUnchanged(t, app, before)

	setSecret(t, ns, "app-one", "k", "2")
	s := waitRolled(t, app, before)
	// A Secret created later that the expression matches is watched from then on.
	create(t, secret(ns, "app-two", nil, "k", "1"))
	testenv.Eventually(t, 20*time.Second, "app-two recorded", func() (bool, error) {
		_, ok := rollout.ParseDigests(readState(t, app).recorded)["secret/app-two"]
		return ok, nil
	})
	assertUnchanged(t, app, s) // newly watched: recorded, not restarted for
	s = readState(t, app)
	setSecret(t, ns, "app-two", "k", "2")
	s = waitRolled(t, app, s)
	setSecret(t, ns, "db", "k", "2")
	waitRolled(t, app, s)
}

func TestAutoReloadAll(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.AutoReloadAll = true
	startFerry(t, ns, opts)
	create(t, secret(ns, "s", nil, "k", "1"))
	plain := deployment(ns, "plain", nil, pod(container(nil, envFromSecret("s"))))
	// Ferry's cache drops this annotation; its writes must leave it as it is.
	lastApplied := `{"kind":"Deployment","metadata":{"name":"plain"}}`
	plain.Annotations = map[string]string{corev1.LastAppliedConfigAnnotation: lastApplied}
	optedOut := deployment(ns, "opted-out", map[string]string{rollout.ReloaderAuto: "false"}, pod(container(nil, envFromSecret("s"))))
	ignored := deployment(ns, "ignored", map[string]string{rollout.ReloaderIgnore: "true"}, pod(container(nil, envFromSecret("s"))))
	create(t, plain)
	create(t, optedOut)
	create(t, ignored)
	before := waitRecorded(t, plain, "secret/s")
	created, ignoredCreated := stateOf(t, optedOut), stateOf(t, ignored)

	setSecret(t, ns, "s", "k", "2")
	waitRolled(t, plain, before)
	if got := plain.Annotations[corev1.LastAppliedConfigAnnotation]; got != lastApplied {
		t.Errorf("last-applied-configuration after the restart = %q, want it untouched", got)
	}
	assertUnchanged(t, optedOut, created)
	assertUnchanged(t, ignored, ignoredCreated) // the workload's ignore annotation
	if got := readState(t, optedOut); got.recorded != "" {
		t.Errorf("auto \"false\" under --auto-reload-all was recorded: %q", got.recorded)
	}
}

func TestNamespacesToIgnore(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.NamespacesToIgnore = []string{"elsewhere", ns}
	f := startFerry(t, ns, opts)
	create(t, secret(ns, "s", nil, "k", "1"))
	app := deployment(ns, "app", auto(), pod(container(nil, envFromSecret("s"))))
	create(t, app)
	created := stateOf(t, app)
	setSecret(t, ns, "s", "k", "2")
	assertUnchanged(t, app, created)
	if got := readState(t, app); got.recorded != "" {
		t.Errorf("a workload of an ignored namespace was recorded: %q", got.recorded)
	}
	if n := f.metric(t, "ferry_rollouts_total", "kind", "Deployment"); n != 0 {
		t.Errorf("ferry_rollouts_total = %v, want 0", n)
	}
}

func TestNamespaceSelector(t *testing.T) {
	ns := testenv.Namespace(t, k8s, map[string]string{"team": "b"})
	opts := fast()
	opts.NamespaceSelector = "team in (a)"
	startFerry(t, ns, opts)
	create(t, secret(ns, "s", nil, "k", "1"))
	app := deployment(ns, "app", auto(), pod(container(nil, envFromSecret("s"))))
	create(t, app)
	created := stateOf(t, app)
	setSecret(t, ns, "s", "k", "2")
	assertUnchanged(t, app, created)

	// Labelling the namespace selects it: its workloads are recorded, then restart.
	update(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, func(n *corev1.Namespace) { n.Labels["team"] = "a" })
	before := waitRecorded(t, app, "secret/s")
	setSecret(t, ns, "s", "k", "3")
	waitRolled(t, app, before)
}

func TestResourceLabelSelector(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.ResourceLabelSelector = "reload=yes"
	startFerry(t, ns, opts)
	labelled := secret(ns, "labelled", nil, "k", "1")
	labelled.Labels = map[string]string{"reload": "yes"}
	create(t, labelled)
	create(t, secret(ns, "unlabelled", nil, "k", "1"))
	app := deployment(ns, "app", auto(), pod(container(nil, envFromSecret("labelled"), envFromSecret("unlabelled"))))
	create(t, app)
	before := waitRecorded(t, app, "secret/labelled")

	setSecret(t, ns, "unlabelled", "k", "2")
	assertUnchanged(t, app, before)
	setSecret(t, ns, "labelled", "k", "2")
	waitRolled(t, app, before)
}

func TestIgnoreConfigMapsAndWorkloadTypes(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.IgnoreConfigMaps = true
	opts.IgnoredWorkloadTypes = []string{"statefulsets", "cronjobs"}
	startFerry(t, ns, opts)
	create(t, secret(ns, "s", nil, "k", "1"))
	create(t, configMap(ns, "c", "k", "1"))
	app := deployment(ns, "app", auto(), pod(container(nil, envFromSecret("s"), envFromConfigMap("c"))))
	sts := statefulSet(ns, "db", auto(), pod(container(nil, envFromSecret("s"))))
	create(t, app)
	create(t, sts)
	before := waitRecorded(t, app, "secret/s")
	stsCreated := stateOf(t, sts)

	setConfigMap(t, ns, "c", "k", "2")
	assertUnchanged(t, app, before)
	setSecret(t, ns, "s", "k", "2")
	waitRolled(t, app, before)
	assertUnchanged(t, sts, stsCreated)
	if got := readState(t, sts); got.recorded != "" {
		t.Errorf("an ignored workload type was recorded: %q", got.recorded)
	}
}

func TestReloadOnCreateAndDelete(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.ReloadOnCreate, opts.ReloadOnDelete = true, true
	startFerry(t, ns, opts)
	create(t, secret(ns, "present", nil, "k", "1"))
	app := deployment(ns, "app", auto(), pod(container(nil, envFromSecret("present"), envFromSecret("later"))))
	create(t, app)
	before := waitRecorded(t, app, "secret/later", "secret/present")
	if got := rollout.ParseDigests(before.recorded)["secret/later"]; got != rollout.Absent {
		t.Fatalf("a missing source is recorded as %q, want %q", got, rollout.Absent)
	}

	create(t, secret(ns, "later", nil, "k", "1"))
	s := waitRolled(t, app, before)
	waitEvents(t, ns, "app", "RolloutTriggered: Restarting pods: changed Secret later")

	if err := k8s.Delete(context.Background(), secret(ns, "present", nil)); err != nil {
		t.Fatal(err)
	}
	s = waitRolled(t, app, s)
	if got := rollout.ParseDigests(s.recorded)["secret/present"]; got != rollout.Absent {
		t.Errorf("a deleted source is recorded as %q, want %q", got, rollout.Absent)
	}
	// Created again: a creation, whatever its data.
	create(t, secret(ns, "present", nil, "k", "1"))
	waitRolled(t, app, s)
}

func TestEnvVarsStrategy(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.ReloadStrategy = rollout.StrategyEnvVars
	startFerry(t, ns, opts)
	create(t, secret(ns, "db-creds", nil, "password", oldPassword))
	app := deployment(ns, "app", auto(), pod(append(container(nil, envFromSecret("db-creds")),
		corev1.Container{Name: "sidecar", Image: "registry.invalid/sidecar:1"})))
	create(t, app)
	before := waitRecorded(t, app, "secret/db-creds")

	setSecret(t, ns, "db-creds", "password", newPassword)
	want := digest.Key(hashKey).Data(map[string][]byte{"password": []byte(newPassword)})
	testenv.Eventually(t, 20*time.Second, "environment variables set", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(app), app); err != nil {
			return false, err
		}
		for _, c := range app.Spec.Template.Spec.Containers {
			i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "STAKATER_DB_CREDS_SECRET" })
			if i < 0 || c.Env[i].Value != want {
				return false, nil
			}
		}
		return true, nil
	})
	if _, ok := app.Spec.Template.Annotations[rollout.AnnotationConfigDigest]; ok {
		t.Errorf("the env-vars strategy also set the digest annotation")
	}
	if changes := templateChanges(t, app, before, settle); len(changes) != 1 {
		t.Errorf("pod template changed %d times, want once", len(changes))
	}
	if strings.Contains(readState(t, app).template, newPassword) {
		t.Errorf("the pod template holds the secret value")
	}
}

func TestPausePeriod(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	startFerry(t, ns, fast())
	create(t, secret(ns, "a", nil, "k", "1"))
	create(t, secret(ns, "b", nil, "k", "1"))
	app := deployment(ns, "app", map[string]string{rollout.ReloaderAuto: "true", rollout.ReloaderPausePeriod: "6s"},
		pod(container(nil, envFromSecret("a"), envFromSecret("b"))))
	create(t, app)
	before := waitRecorded(t, app, "secret/a", "secret/b")

	setSecret(t, ns, "a", "k", "2")
	testenv.Eventually(t, 20*time.Second, "restarted and paused", func() (bool, error) {
		d := &appsv1.Deployment{}
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(app), d)
		return err == nil && d.Spec.Paused && d.Annotations[rollout.AnnotationPausedAt] != "" &&
			d.Spec.Template.Annotations[rollout.AnnotationConfigDigest] != before.digest, err
	})
	// A change within the pause period goes into the pod template, to roll out on resume.
	setSecret(t, ns, "b", "k", "2")
	want := wantDigest(map[string]map[string]string{"secret/a": {"k": "2"}, "secret/b": {"k": "2"}})
	testenv.Eventually(t, 20*time.Second, "second change in the template while paused", func() (bool, error) {
		d := &appsv1.Deployment{}
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(app), d)
		return err == nil && d.Spec.Paused && d.Spec.Template.Annotations[rollout.AnnotationConfigDigest] == want, err
	})
	testenv.Eventually(t, 20*time.Second, "resumed after the pause period", func() (bool, error) {
		d := &appsv1.Deployment{}
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(app), d)
		_, stillMarked := d.Annotations[rollout.AnnotationPausedAt]
		return err == nil && !d.Spec.Paused && !stillMarked, err
	})
}
