package conditions_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/conditions"
)

func TestSetKeepsTransitionTimeWhileStatusHolds(t *testing.T) {
	t0 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 := metav1.NewTime(t0.Add(time.Hour))
	var list []esv1.ExternalSecretStatusCondition
	set := func(status corev1.ConditionStatus, reason string, at metav1.Time) {
		conditions.Set(&list, esv1.ExternalSecretStatusCondition{Type: esv1.ExternalSecretReady, Status: status, Reason: reason, LastTransitionTime: at})
	}

	set(corev1.ConditionFalse, "A", t0)
	set(corev1.ConditionFalse, "B", t1)
	if len(list) != 1 || list[0].Reason != "B" || !list[0].LastTransitionTime.Equal(&t0) {
		t.Fatalf("same status, new reason: got %+v; want one condition, reason B, transition time kept at %s", list, t0)
	}
	set(corev1.ConditionTrue, "C", t1)
	if !list[0].LastTransitionTime.Equal(&t1) || !conditions.IsTrue(list, string(esv1.ExternalSecretReady)) {
		t.Fatalf("new status: got %+v; want True with transition time %s", list, t1)
	}
	if conditions.Find(list, "Other") != nil {
		t.Error("found a condition of a type never set")
	}
}

func TestSetWithoutTransitionTime(t *testing.T) {
	var list []esv1.ClusterExternalSecretStatusCondition
	conditions.Set(&list, esv1.ClusterExternalSecretStatusCondition{Type: esv1.ClusterExternalSecretReady, Status: metav1.ConditionFalse, Message: "a"})
	conditions.Set(&list, esv1.ClusterExternalSecretStatusCondition{Type: esv1.ClusterExternalSecretReady, Status: metav1.ConditionFalse, Message: "b"})
	if len(list) != 1 || list[0].Message != "b" {
		t.Fatalf("got %+v; want the one condition replaced", list)
	}
}
