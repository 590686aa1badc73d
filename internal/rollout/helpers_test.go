package rollout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/digest"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// fast governs tests: a one-second window, no per-workload interval, no global limit.
func fast() rollout.Options {
	return rollout.Options{Window: time.Second, MinInterval: -1, PerMinute: -1}
}

// settle is how long a test watches a workload to tell that something happened exactly
// once, or not at all: well past the window, the requeues and the informers' delays.
const settle = 4 * time.Second

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// update applies mutate to a fresh copy of obj, retrying on conflicts.
func update[T client.Object](t *testing.T, obj T, mutate func(T)) {
	t.Helper()
	ctx := context.Background()
	for range 10 {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatal(err)
		}
		mutate(obj)
		err := k8s.Update(ctx, obj)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	t.Fatalf("updating %s: too many conflicts", obj.GetName())
}

func secret(ns, name string, annotations map[string]string, kv ...string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations}, Data: map[string][]byte{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Data[kv[i]] = []byte(kv[i+1])
	}
	return s
}

func setSecret(t *testing.T, ns, name string, kv ...string) {
	t.Helper()
	update(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}, func(s *corev1.Secret) {
		s.Data = secret(ns, name, nil, kv...).Data
	})
}

func configMap(ns, name string, kv ...string) *corev1.ConfigMap {
	c := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		c.Data[kv[i]] = kv[i+1]
	}
	return c
}

func setConfigMap(t *testing.T, ns, name string, kv ...string) {
	t.Helper()
	update(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}, func(c *corev1.ConfigMap) {
		c.Data = configMap(ns, name, kv...).Data
	})
}

// Pod spec pieces.

func pod(containers []corev1.Container, volumes ...corev1.Volume) corev1.PodSpec {
	return corev1.PodSpec{Containers: containers, Volumes: volumes}
}

func container(env []corev1.EnvVar, envFrom ...corev1.EnvFromSource) []corev1.Container {
	return []corev1.Container{{Name: "app", Image: "registry.invalid/app:1", Env: env, EnvFrom: envFrom}}
}

func envSecret(name, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: strings.ToUpper(strings.ReplaceAll(name+"_"+key, "-", "_")), ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}}
}

func envFromSecret(name string) corev1.EnvFromSource {
	return corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}
}

func envFromConfigMap(name string) corev1.EnvFromSource {
	return corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}
}

func secretVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name}}}
}

func configMapVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}
}

func projectedSecretVolume(name string) corev1.Volume {
	return corev1.Volume{Name: "projected", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}}}}
}

// Workloads.

func template(name string, spec corev1.PodSpec) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: spec}
}

func deployment(ns, name string, annotations map[string]string, spec corev1.PodSpec) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: template(name, spec)},
	}
}

func statefulSet(ns, name string, annotations map[string]string, spec corev1.PodSpec) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
		Spec: appsv1.StatefulSetSpec{ServiceName: name, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: template(name, spec)},
	}
}

func daemonSet(ns, name string, annotations map[string]string, spec corev1.PodSpec) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
		Spec: appsv1.DaemonSetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: template(name, spec)},
	}
}

// state is what a user checks on a workload to see whether Ferry restarted it.
type state struct {
	resourceVersion string
	template        string // the pod template, as JSON
	digest          string // the pod template's config digest
	recorded        string // the workload's recorded source digests
}

func podTemplate(t *testing.T, obj client.Object) corev1.PodTemplateSpec {
	t.Helper()
	switch w := obj.(type) {
	case *appsv1.Deployment:
		return w.Spec.Template
	case *appsv1.StatefulSet:
		return w.Spec.Template
	case *appsv1.DaemonSet:
		return w.Spec.Template
	case *batchv1.CronJob:
		return w.Spec.JobTemplate.Spec.Template
	case *batchv1.Job:
		return w.Spec.Template
	}
	t.Fatalf("not a workload: %T", obj)
	return corev1.PodTemplateSpec{}
}

func stateOf(t *testing.T, obj client.Object) state {
	t.Helper()
	tmpl := podTemplate(t, obj)
	raw, err := json.Marshal(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	return state{resourceVersion: obj.GetResourceVersion(), template: string(raw),
		digest: tmpl.Annotations[rollout.AnnotationConfigDigest], recorded: obj.GetAnnotations()[rollout.AnnotationLastDigests]}
}

func readState(t *testing.T, obj client.Object) state {
	t.Helper()
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	return stateOf(t, obj)
}

// waitRecorded waits until Ferry recorded exactly the given sources on the workload, and
// checks that recording left the pod template alone.
func waitRecorded(t *testing.T, obj client.Object, sources ...string) state {
	t.Helper()
	created := stateOf(t, obj) // obj is as create returned it
	var s state
	testenv.Eventually(t, 20*time.Second, obj.GetName()+" recorded by Ferry", func() (bool, error) {
		s = readState(t, obj)
		got := slices.Sorted(maps.Keys(rollout.ParseDigests(s.recorded)))
		if _, ok := obj.GetAnnotations()[rollout.AnnotationLastDigests]; !ok || !slices.Equal(got, sources) {
			return false, fmt.Errorf("recorded %v", got)
		}
		return true, nil
	})
	if s.digest != "" || len(templateChanges(t, obj, created, 0)) != 0 {
		t.Fatalf("%s: recording it changed its pod template", obj.GetName())
	}
	return s
}

// waitRolled waits for the workload to restart, then watches it for settle and fails unless
// its pod template changed exactly once since before, and only by the config digest.
func waitRolled(t *testing.T, obj client.Object, before state) state {
	t.Helper()
	var after state
	testenv.Eventually(t, 20*time.Second, obj.GetName()+" restarted", func() (bool, error) {
		after = readState(t, obj)
		return after.digest != before.digest, nil
	})
	changes := templateChanges(t, obj, before, settle)
	if len(changes) != 1 {
		t.Fatalf("%s: pod template changed %d times, want once", obj.GetName(), len(changes))
	}
	after = readState(t, obj)
	if after.template != changes[0] {
		t.Fatalf("%s: pod template changed again after the restart", obj.GetName())
	}
	var was, is corev1.PodTemplateSpec
	_ = json.Unmarshal([]byte(before.template), &was)
	_ = json.Unmarshal([]byte(after.template), &is)
	delete(is.Annotations, rollout.AnnotationConfigDigest)
	delete(was.Annotations, rollout.AnnotationConfigDigest)
	if len(is.Annotations) == 0 {
		is.Annotations = nil
	}
	if len(was.Annotations) == 0 {
		was.Annotations = nil
	}
	if !equality.Semantic.DeepEqual(was, is) {
		t.Fatalf("%s: the restart changed more than the config digest", obj.GetName())
	}
	return after
}

// assertUnchanged watches the workload for settle and fails if its pod template changes.
func assertUnchanged(t *testing.T, obj client.Object, want state) {
	t.Helper()
	if changes := templateChanges(t, obj, want, settle); len(changes) != 0 {
		t.Fatalf("%s: pod template changed %d times; want no restart", obj.GetName(), len(changes))
	}
}

// templateChanges watches the workload from the resource version of since, for d (at least
// until the events already past are delivered), and returns each new pod template it went
// through, in order. A watch sees every write, so two quick restarts count as two.
func templateChanges(t *testing.T, obj client.Object, since state, d time.Duration) []string {
	t.Helper()
	var list client.ObjectList
	switch obj.(type) {
	case *appsv1.Deployment:
		list = &appsv1.DeploymentList{}
	case *appsv1.StatefulSet:
		list = &appsv1.StatefulSetList{}
	case *appsv1.DaemonSet:
		list = &appsv1.DaemonSetList{}
	case *batchv1.CronJob:
		list = &batchv1.CronJobList{}
	}
	current := readState(t, obj.DeepCopyObject().(client.Object)).resourceVersion
	wc, err := client.NewWithWatch(restConfig, client.Options{Scheme: k8s.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+10*time.Second)
	defer cancel()
	w, err := wc.Watch(ctx, list, &client.ListOptions{Namespace: obj.GetNamespace(),
		FieldSelector: fields.OneTermEqualSelector("metadata.name", obj.GetName()),
		Raw:           &metav1.ListOptions{ResourceVersion: since.resourceVersion}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var changes []string
	last := since.template
	deadline := time.After(d)
	caughtUp, timedOut := current == since.resourceVersion, false
	for !caughtUp || !timedOut {
		select {
		case <-deadline:
			timedOut = true
			deadline = nil
		case <-ctx.Done():
			t.Fatalf("%s: the watch did not reach resource version %s", obj.GetName(), current)
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("%s: the watch ended", obj.GetName())
			}
			if ev.Type == watch.Error {
				t.Fatalf("%s: watch error %v", obj.GetName(), ev.Object)
			}
			o := ev.Object.(client.Object)
			if o.GetResourceVersion() == current {
				caughtUp = true
			}
			if s := stateOf(t, o); s.template != last {
				changes = append(changes, s.template)
				last = s.template
			}
		}
	}
	return changes
}

// wantDigest is the pod-template digest Ferry must write for the given sources' data.
func wantDigest(parts map[string]map[string]string) string {
	data := map[string]map[string][]byte{}
	for name, kv := range parts {
		data[name] = map[string][]byte{}
		for k, v := range kv {
			data[name][k] = []byte(v)
		}
	}
	return digest.Key(hashKey).Parts(data)
}

// events returns "reason: note" of every event Ferry's rollout controllers recorded about
// the named object (the controller manager records others).
func events(t *testing.T, ns, name string) []string {
	t.Helper()
	var list eventsv1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		if e.Regarding.Name == name && strings.HasPrefix(e.Reason, "Rollout") {
			out = append(out, e.Reason+": "+e.Note)
		}
	}
	return out
}

// waitEvents waits until the object has exactly want events, in any order.
func waitEvents(t *testing.T, ns, name string, want ...string) {
	t.Helper()
	slices.Sort(want)
	testenv.Eventually(t, 10*time.Second, "events of "+name, func() (bool, error) {
		got := events(t, ns, name)
		slices.Sort(got)
		return slices.Equal(got, want), fmt.Errorf("events %q, want %q", got, want)
	})
}

// External secrets with the fake provider.

func fakeStore(t *testing.T, ns, name string, kv ...string) *esv1.SecretStore {
	t.Helper()
	store := &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: fakeData(kv...)}}},
	}
	create(t, store)
	return store
}

func fakeData(kv ...string) []esv1.FakeProviderData {
	var data []esv1.FakeProviderData
	for i := 0; i+1 < len(kv); i += 2 {
		data = append(data, esv1.FakeProviderData{Key: kv[i], Value: kv[i+1]})
	}
	return data
}

// setProvider changes the values "at the provider".
func setProvider(t *testing.T, store *esv1.SecretStore, kv ...string) {
	t.Helper()
	update(t, store, func(s *esv1.SecretStore) { s.Spec.Provider.Fake.Data = fakeData(kv...) })
}

// externalSecret syncs remote key remoteKey into key secretKey of Secret name, every second.
func externalSecret(ns, name, store, secretKey, remoteKey string) *esv1.ExternalSecret {
	return &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef:  esv1.SecretStoreRef{Name: store, Kind: esv1.SecretStoreKind},
			RefreshInterval: esv1.NewDuration(time.Second),
			Data:            []esv1.ExternalSecretData{{SecretKey: secretKey, RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: remoteKey}}},
		},
	}
}

// waitSecretValue waits until key of Secret name holds value.
func waitSecretValue(t *testing.T, ns, name, key, value string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	testenv.Eventually(t, 20*time.Second, "Secret "+name+" synced", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
			return false, err
		}
		return string(s.Data[key]) == value, nil
	})
	return s
}
