package rollout

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/cacheview"
)

// RolloutGVK is Argo Rollouts' Rollout, served only where its CRD is installed.
var RolloutGVK = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Rollout"}

// workloadKind adapts one kind of workload: where its pod template is, whether it is paused,
// how it restarts.
type workloadKind struct {
	name string // the API kind: "Deployment"
	gvk  schema.GroupVersionKind
	// object and list make empty objects of the kind, as the controller watches them.
	object func() client.Object
	list   func() client.ObjectList
	// template returns the pod template. For typed kinds it points into the object; for
	// unstructured ones it is a copy, which setTemplate writes back.
	template    func(client.Object) *corev1.PodTemplateSpec
	setTemplate func(client.Object, *corev1.PodTemplateSpec) error
	paused      func(client.Object) bool
	// optional kinds come from a CRD: their controller starts when the API is served.
	optional bool
	// metadataOnly kinds are watched as metadata: only annotations on their own metadata opt
	// them in, and a reconcile reads the full object from the API server (full reads a
	// full object into).
	metadataOnly bool
	full         func() client.Object
	// recreate kinds cannot change their pod template (Jobs): a restart deletes the object
	// and creates it again.
	recreate bool
}

func never(client.Object) bool { return false }

func workloadKinds() []workloadKind {
	return []workloadKind{
		{
			name:     "Deployment",
			gvk:      appsv1.SchemeGroupVersion.WithKind("Deployment"),
			object:   func() client.Object { return &appsv1.Deployment{} },
			list:     func() client.ObjectList { return &appsv1.DeploymentList{} },
			template: func(o client.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.Deployment).Spec.Template },
			paused:   func(o client.Object) bool { return o.(*appsv1.Deployment).Spec.Paused },
		},
		{
			name:     "StatefulSet",
			gvk:      appsv1.SchemeGroupVersion.WithKind("StatefulSet"),
			object:   func() client.Object { return &appsv1.StatefulSet{} },
			list:     func() client.ObjectList { return &appsv1.StatefulSetList{} },
			template: func(o client.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.StatefulSet).Spec.Template },
			paused:   never,
		},
		{
			name:     "DaemonSet",
			gvk:      appsv1.SchemeGroupVersion.WithKind("DaemonSet"),
			object:   func() client.Object { return &appsv1.DaemonSet{} },
			list:     func() client.ObjectList { return &appsv1.DaemonSetList{} },
			template: func(o client.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.DaemonSet).Spec.Template },
			paused:   never,
		},
		{
			name:   "CronJob",
			gvk:    batchv1.SchemeGroupVersion.WithKind("CronJob"),
			object: func() client.Object { return &batchv1.CronJob{} },
			list:   func() client.ObjectList { return &batchv1.CronJobList{} },
			template: func(o client.Object) *corev1.PodTemplateSpec {
				return &o.(*batchv1.CronJob).Spec.JobTemplate.Spec.Template
			},
			// A suspended CronJob starts no Job: its template still takes the change, so the
			// next Job after it resumes runs with the new data.
			paused: never,
		},
		jobKind(),
		rolloutKind(),
	}
}

func jobKind() workloadKind {
	gvk := batchv1.SchemeGroupVersion.WithKind("Job")
	return workloadKind{
		name: "Job", gvk: gvk, metadataOnly: true, recreate: true,
		object: func() client.Object { return metadataOf(gvk) },
		list: func() client.ObjectList {
			return &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind + "List"}}
		},
		full:     func() client.Object { return &batchv1.Job{} },
		template: func(o client.Object) *corev1.PodTemplateSpec { return &o.(*batchv1.Job).Spec.Template },
		paused:   func(o client.Object) bool { s := o.(*batchv1.Job).Spec.Suspend; return s != nil && *s },
	}
}

func rolloutKind() workloadKind {
	return workloadKind{
		name: "Rollout", gvk: RolloutGVK, optional: true,
		object: func() client.Object {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(RolloutGVK)
			return u
		},
		list: func() client.ObjectList {
			u := &unstructured.UnstructuredList{}
			u.SetGroupVersionKind(RolloutGVK.GroupVersion().WithKind("RolloutList"))
			return u
		},
		template:    unstructuredTemplate,
		setTemplate: setUnstructuredTemplate,
		paused: func(o client.Object) bool {
			paused, _, _ := unstructured.NestedBool(o.(*unstructured.Unstructured).Object, "spec", "paused")
			return paused
		},
	}
}

func metadataOf(gvk schema.GroupVersionKind) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind}}
}

// unstructuredTemplate decodes spec.template of an unstructured workload; a template that
// does not decode reads as empty.
func unstructuredTemplate(o client.Object) *corev1.PodTemplateSpec {
	tmpl := &corev1.PodTemplateSpec{}
	raw, ok, err := unstructured.NestedMap(o.(*unstructured.Unstructured).Object, "spec", "template")
	if ok && err == nil {
		_ = runtime.DefaultUnstructuredConverter.FromUnstructured(raw, tmpl)
	}
	return tmpl
}

// setUnstructuredTemplate writes back what a restart changes in a pod template: its
// annotations and the environment of its containers. Nothing else is touched, so the rest
// of the object stays exactly as its owner wrote it.
func setUnstructuredTemplate(o client.Object, tmpl *corev1.PodTemplateSpec) error {
	obj := o.(*unstructured.Unstructured).Object
	if err := unstructured.SetNestedStringMap(obj, tmpl.Annotations, "spec", "template", "metadata", "annotations"); err != nil {
		return fmt.Errorf("writing pod template annotations: %w", err)
	}
	containers, _, err := unstructured.NestedSlice(obj, "spec", "template", "spec", "containers")
	if err != nil {
		return fmt.Errorf("reading containers: %w", err)
	}
	for i := range containers {
		c, ok := containers[i].(map[string]any)
		if !ok || i >= len(tmpl.Spec.Containers) {
			continue
		}
		env := make([]any, 0, len(tmpl.Spec.Containers[i].Env))
		for _, e := range tmpl.Spec.Containers[i].Env {
			m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&e)
			if err != nil {
				return fmt.Errorf("encoding env: %w", err)
			}
			env = append(env, m)
		}
		if len(env) > 0 {
			c["env"] = env
		} else {
			delete(c, "env")
		}
	}
	return unstructured.SetNestedSlice(obj, containers, "spec", "template", "spec", "containers")
}

// WorkloadGroupKinds lists the kinds of workloads the rollout may restart, served or not.
func WorkloadGroupKinds() []schema.GroupKind {
	var out []schema.GroupKind
	for _, kind := range workloadKinds() {
		out = append(out, kind.gvk.GroupKind())
	}
	return out
}

// CacheByObject returns the manager's cache settings for the workload kinds Ferry keeps in
// full: each cached workload drops what restarts never read — its status, its managed fields,
// kubectl's last-applied-configuration annotation (a second copy of the whole manifest), and
// of its spec all but whether it is paused and, of the pod template, the annotations,
// containers and volumes — so that the cache holds little more than metadata and what the
// pod template references. Writes are merge patches computed between two such copies, so the
// dropped parts are never written; the containers stay whole, as the env-vars strategy's
// patch carries the containers list whole.
func CacheByObject() map[client.Object]cache.ByObject {
	out := map[client.Object]cache.ByObject{}
	for _, kind := range workloadKinds() {
		if kind.metadataOnly || kind.optional { // a cache cannot be set up for a kind not yet served
			continue
		}
		out[kind.object()] = cache.ByObject{Transform: slimWorkload}
	}
	return out
}

func slimWorkload(in any) (any, error) {
	o, ok := in.(client.Object)
	if !ok {
		return in, nil
	}
	cacheview.TrimMetadata(o)
	switch w := o.(type) {
	case *appsv1.Deployment:
		w.Status = appsv1.DeploymentStatus{}
		w.Spec = appsv1.DeploymentSpec{Paused: w.Spec.Paused, Template: slimTemplate(w.Spec.Template)}
	case *appsv1.StatefulSet:
		w.Status = appsv1.StatefulSetStatus{}
		w.Spec = appsv1.StatefulSetSpec{Template: slimTemplate(w.Spec.Template)}
	case *appsv1.DaemonSet:
		w.Status = appsv1.DaemonSetStatus{}
		w.Spec = appsv1.DaemonSetSpec{Template: slimTemplate(w.Spec.Template)}
	case *batchv1.CronJob:
		w.Status = batchv1.CronJobStatus{}
		w.Spec = batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{
			Spec: batchv1.JobSpec{Template: slimTemplate(w.Spec.JobTemplate.Spec.Template)}}}
	case *unstructured.Unstructured:
		delete(w.Object, "status")
	}
	return o, nil
}

// slimTemplate keeps of a pod template what restarts read or write: its annotations (opt-in,
// the config digest), its containers, whole, and its volumes (the sources they reference).
func slimTemplate(t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Annotations: t.Annotations},
		Spec: corev1.PodSpec{InitContainers: t.Spec.InitContainers, Containers: t.Spec.Containers,
			EphemeralContainers: t.Spec.EphemeralContainers, Volumes: t.Spec.Volumes},
	}
}
