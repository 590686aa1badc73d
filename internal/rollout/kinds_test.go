package rollout_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

func cronJob(ns, name string, annotations map[string]string, spec corev1.PodSpec) *batchv1.CronJob {
	spec.RestartPolicy = corev1.RestartPolicyNever
	return &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
		Spec: batchv1.CronJobSpec{Schedule: "0 0 1 1 *", JobTemplate: batchv1.JobTemplateSpec{
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}},
	}
}

func job(ns, name string, annotations map[string]string, spec corev1.PodSpec) *batchv1.Job {
	spec.RestartPolicy = corev1.RestartPolicyNever
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations},
		Spec:       batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: spec}},
	}
}

func TestCronJobTemplateTakesTheChange(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	f := startFerry(t, ns, fast())
	create(t, secret(ns, "s", nil, "k", "1"))
	cj := cronJob(ns, "nightly", auto(), pod(container(nil, envFromSecret("s"))))
	create(t, cj)
	before := waitRecorded(t, cj, "secret/s")

	setSecret(t, ns, "s", "k", "2")
	after := waitRolled(t, cj, before)
	if want := wantDigest(map[string]map[string]string{"secret/s": {"k": "2"}}); after.digest != want {
		t.Errorf("job template digest %s, want %s", after.digest, want)
	}
	var jobs batchv1.JobList
	if err := k8s.List(context.Background(), &jobs, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if len(jobs.Items) != 0 {
		t.Errorf("a Job was started: %d, want none (the next scheduled Job takes the new data)", len(jobs.Items))
	}
	if n := f.metric(t, "ferry_rollouts_total", "kind", "CronJob"); n != 1 {
		t.Errorf("ferry_rollouts_total{kind=CronJob} = %v, want 1", n)
	}
}

func TestJobRecreatedWhenItOptsIn(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.AutoReloadAll = true // does not cover Jobs: each opts in itself
	startFerry(t, ns, opts)
	create(t, secret(ns, "s", nil, "k", "1"))
	opted := job(ns, "migrate", auto(), pod(container(nil, envFromSecret("s"))))
	bystander := job(ns, "bystander", nil, pod(container(nil, envFromSecret("s"))))
	create(t, opted)
	create(t, bystander)
	oldUID := opted.UID
	testenv.Eventually(t, 20*time.Second, "Job recorded", func() (bool, error) {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(opted), opted)
		return err == nil && opted.Annotations[rollout.AnnotationLastDigests] != "", err
	})

	setSecret(t, ns, "s", "k", "2")
	want := wantDigest(map[string]map[string]string{"secret/s": {"k": "2"}})
	testenv.Eventually(t, 20*time.Second, "Job created again", func() (bool, error) {
		j := &batchv1.Job{}
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(opted), j)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil && j.UID != oldUID && j.Spec.Template.Annotations[rollout.AnnotationConfigDigest] == want, err
	})
	b := &batchv1.Job{}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(bystander), b); err != nil || b.UID != bystander.UID {
		t.Errorf("the Job that did not opt in was replaced or is gone: %v", err)
	}
	if _, ok := b.Annotations[rollout.AnnotationLastDigests]; ok {
		t.Errorf("the Job that did not opt in was recorded")
	}
}

// TestArgoRollout starts Ferry before the Rollout CRD exists: the kind is skipped without
// errors, then served once the CRD appears. Both of Reloader's strategies are checked.
func TestArgoRollout(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	crd := argoCRD(t)
	crds, err := client.New(restConfig, client.Options{Scheme: operator.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	if err := crds.Get(context.Background(), client.ObjectKeyFromObject(crd), crd.DeepCopy()); err == nil {
		t.Fatalf("the Argo Rollouts CRD is installed before the test; it must start without it")
	}
	f := startFerry(t, ns, fast())
	if f.logged(`"level":"error"`) {
		t.Errorf("Ferry logged an error while the Rollout API is absent:\n%s", f.logs.String())
	}
	if err := crds.Create(context.Background(), crd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = crds.Delete(context.Background(), crd) })
	f.waitLog(t, `"msg":"Starting workers"`, `"controller":"rollout-rollout"`)

	create(t, secret(ns, "s", nil, "k", "1"))
	byTemplate := argoRollout(ns, "by-template", auto())
	byRestart := argoRollout(ns, "by-restart", map[string]string{rollout.ReloaderAuto: "true", rollout.ReloaderRolloutStrategy: "restart"})
	createRollout(t, byTemplate)
	createRollout(t, byRestart)
	waitRolloutRecorded(t, byTemplate)
	waitRolloutRecorded(t, byRestart)

	setSecret(t, ns, "s", "k", "2")
	want := wantDigest(map[string]map[string]string{"secret/s": {"k": "2"}})
	testenv.Eventually(t, 20*time.Second, "pod template annotated", func() (bool, error) {
		got, _, err := unstructured.NestedString(getRollout(t, byTemplate).Object, "spec", "template", "metadata", "annotations", rollout.AnnotationConfigDigest)
		return got == want, err
	})
	testenv.Eventually(t, 20*time.Second, "restartAt set", func() (bool, error) {
		u := getRollout(t, byRestart)
		at, _, err := unstructured.NestedString(u.Object, "spec", "restartAt")
		if err != nil || at == "" {
			return false, err
		}
		if _, err := time.Parse(time.RFC3339, at); err != nil {
			return false, err
		}
		annotations, _, _ := unstructured.NestedStringMap(u.Object, "spec", "template", "metadata", "annotations")
		if _, ok := annotations[rollout.AnnotationConfigDigest]; ok {
			t.Fatalf("the restart strategy changed the pod template")
		}
		return true, nil
	})
	// Ferry counts a restart just after its write, which the test may see first.
	testenv.Eventually(t, 10*time.Second, "two Rollout restarts counted", func() (bool, error) {
		n := f.metric(t, "ferry_rollouts_total", "kind", "Rollout")
		return n == 2, fmt.Errorf("ferry_rollouts_total{kind=Rollout} = %v, want 2", n)
	})
}

func argoCRD(t *testing.T) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	return crdFrom(t, "testdata/argo-rollouts-crd.yaml")
}

// crdFrom reads a CustomResourceDefinition from a file of testdata.
func crdFrom(t *testing.T, path string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(raw, crd); err != nil {
		t.Fatal(err)
	}
	return crd
}

func argoRollout(ns, name string, annotations map[string]string) *unstructured.Unstructured {
	tmpl := template(name, pod(container(nil, envFromSecret("s"))))
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&tmpl)
	if err != nil {
		panic(err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"replicas": int64(1),
			"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
			"template": raw,
			"strategy": map[string]any{"canary": map[string]any{"steps": []any{map[string]any{"setWeight": int64(50)}}}},
		},
	}}
	u.SetGroupVersionKind(rollout.RolloutGVK)
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetAnnotations(annotations)
	return u
}

// createRollout creates a Rollout once the API server serves the new CRD.
func createRollout(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, "Rollout "+u.GetName()+" created", func() (bool, error) {
		err := k8s.Create(context.Background(), u.DeepCopy())
		return err == nil, err
	})
}

func getRollout(t *testing.T, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(rollout.RolloutGVK)
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(u), got); err != nil {
		t.Fatal(err)
	}
	return got
}

func waitRolloutRecorded(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "Rollout "+u.GetName()+" recorded", func() (bool, error) {
		return getRollout(t, u).GetAnnotations()[rollout.AnnotationLastDigests] != "", nil
	})
}
