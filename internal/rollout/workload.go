package rollout

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// workloadKind adapts one kind of workload: where its pod template is, whether it is paused.
type workloadKind struct {
	name     string // as in the API: "Deployment"
	object   func() client.Object
	list     func() client.ObjectList
	template func(client.Object) *corev1.PodTemplateSpec
	paused   func(client.Object) bool
}

func workloadKinds() []workloadKind {
	never := func(client.Object) bool { return false }
	return []workloadKind{
		{
			name:     "Deployment",
			object:   func() client.Object { return &appsv1.Deployment{} },
			list:     func() client.ObjectList { return &appsv1.DeploymentList{} },
			template: func(o client.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.Deployment).Spec.Template },
			paused:   func(o client.Object) bool { return o.(*appsv1.Deployment).Spec.Paused },
		},
		{
			name:     "StatefulSet",
			object:   func() client.Object { return &appsv1.StatefulSet{} },
			list:     func() client.ObjectList { return &appsv1.StatefulSetList{} },
			template: func(o client.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.StatefulSet).Spec.Template },
			paused:   never,
		},
		{
			name:     "DaemonSet",
			object:   func() client.Object { return &appsv1.DaemonSet{} },
			list:     func() client.ObjectList { return &appsv1.DaemonSetList{} },
			template: func(o client.Object) *corev1.PodTemplateSpec { return &o.(*appsv1.DaemonSet).Spec.Template },
			paused:   never,
		},
	}
}
