package rollout

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestHealthOf(t *testing.T) {
	one := int32(1)
	deployment := func(s appsv1.DeploymentStatus) *appsv1.Deployment {
		return &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: &one}, Status: s}
	}
	deadline := []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"}}
	for name, tc := range map[string]struct {
		obj  client.Object
		want Health
	}{
		"deployment, old generation":    {obj: deployment(appsv1.DeploymentStatus{ObservedGeneration: 1, Conditions: deadline}), want: Progressing},
		"deployment, rolling":           {obj: deployment(appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 1, AvailableReplicas: 1}), want: Progressing},
		"deployment, done":              {obj: deployment(appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1}), want: Healthy},
		"deployment, deadline exceeded": {obj: deployment(appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 1, Conditions: deadline}), want: Failed},
		"statefulset, done": {obj: &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Replicas: &one}, Status: appsv1.StatefulSetStatus{
			ObservedGeneration: 2, UpdatedReplicas: 1, ReadyReplicas: 1, CurrentRevision: "b", UpdateRevision: "b"}}, want: Healthy},
		"statefulset, rolling": {obj: &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Replicas: &one}, Status: appsv1.StatefulSetStatus{
			ObservedGeneration: 2, ReadyReplicas: 1, CurrentRevision: "a", UpdateRevision: "b"}}, want: Progressing},
		"daemonset, done": {obj: &appsv1.DaemonSet{Status: appsv1.DaemonSetStatus{ObservedGeneration: 2, DesiredNumberScheduled: 3,
			UpdatedNumberScheduled: 3, NumberAvailable: 3}}, want: Healthy},
		"daemonset, rolling": {obj: &appsv1.DaemonSet{Status: appsv1.DaemonSetStatus{ObservedGeneration: 2, DesiredNumberScheduled: 3,
			UpdatedNumberScheduled: 2, NumberAvailable: 3}}, want: Progressing},
	} {
		t.Run(name, func(t *testing.T) {
			got := HealthOf(tc.obj, 2)
			if got != tc.want {
				t.Errorf("RolloutHealth = %v, want %v", got, tc.want)
			}
		})
	}
}
