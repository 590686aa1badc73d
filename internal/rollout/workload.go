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
	"sigs.k8s.io/controller-runtime/pkg/client"
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
	// unstructured ones and views it is a copy, which setTemplate writes back (unstructured).
	template    func(client.Object) *corev1.PodTemplateSpec
	setTemplate func(client.Object, *corev1.PodTemplateSpec) error
	paused      func(client.Object) bool
	// optional kinds come from a CRD: their controller starts when the API is served.
	optional bool
	// viewed kinds are cached as views (view.go): a restart reads the whole object (full)
	// from the API server.
	viewed bool
	// metadataOnly kinds are watched as metadata: only annotations on their own metadata opt
	// them in, and a reconcile reads the full object from the API server (full).
	metadataOnly bool
	// full makes an empty whole object of a viewed or metadata-only kind.
	full func() client.Object
	// recreate kinds cannot change their pod template (Jobs): a restart deletes the object
	// and creates it again.
	recreate bool
}

func never(client.Object) bool { return false }

// viewedKind is a kind the rollout caches as views (view.go): object and list make views,
// full the whole object a restart reads from the API server, and template and paused read
// either.
func viewedKind(name string, gvk schema.GroupVersionKind, full func() client.Object,
	template func(client.Object) *corev1.PodTemplateSpec, paused func(client.Object) bool) workloadKind {
	return workloadKind{
		name: name, gvk: gvk, viewed: true, full: full,
		object: func() client.Object { return viewOf(gvk) },
		list:   func() client.ObjectList { return viewListOf(gvk) },
		template: func(o client.Object) *corev1.PodTemplateSpec {
			if v, ok := o.(view); ok {
				return v.spec().template()
			}
			return template(o)
		},
		paused: func(o client.Object) bool {
			if v, ok := o.(view); ok {
				return v.spec().Paused
			}
			return paused(o)
		},
	}
}

func workloadKinds() []workloadKind {
	return []workloadKind{
		viewedKind("Deployment", appsv1.SchemeGroupVersion.WithKind("Deployment"),
			func() client.Object { return &appsv1.Deployment{} },
			func(o client.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.Deployment).Spec.Template },
			func(o client.Object) bool { return o.(*appsv1.Deployment).Spec.Paused }),
		viewedKind("StatefulSet", appsv1.SchemeGroupVersion.WithKind("StatefulSet"),
			func() client.Object { return &appsv1.StatefulSet{} },
			func(o client.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.StatefulSet).Spec.Template },
			never),
		viewedKind("DaemonSet", appsv1.SchemeGroupVersion.WithKind("DaemonSet"),
			func() client.Object { return &appsv1.DaemonSet{} },
			func(o client.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.DaemonSet).Spec.Template },
			never),
		// A suspended CronJob starts no Job: its template still takes the change, so the
		// next Job after it resumes runs with the new data.
		viewedKind("CronJob", batchv1.SchemeGroupVersion.WithKind("CronJob"),
			func() client.Object { return &batchv1.CronJob{} },
			func(o client.Object) *corev1.PodTemplateSpec {
				return &o.(*batchv1.CronJob).Spec.JobTemplate.Spec.Template
			},
			never),
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
