package storeref_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/storeref"
)

// A store found at start-up queues nobody (every object has its own first reconcile); a
// store created later, a new generation and a new Ready state queue its readers.
func TestChanged(t *testing.T) {
	p := storeref.Changed()
	store := func(generation int64, ready metav1.ConditionStatus) *esv1.SecretStore {
		s := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", Generation: generation}}
		s.Status.Conditions = []esv1.SecretStoreStatusCondition{{Type: esv1.SecretStoreReady, Status: ready, Reason: "Valid"}}
		return s
	}
	for _, c := range []struct {
		name string
		got  bool
		want bool
	}{
		{"listed at start-up", p.Create(event.CreateEvent{Object: store(1, metav1.ConditionTrue), IsInInitialList: true}), false},
		{"created later", p.Create(event.CreateEvent{Object: store(1, metav1.ConditionTrue)}), true},
		{"deleted", p.Delete(event.DeleteEvent{Object: store(1, metav1.ConditionTrue)}), true},
		{"new generation", p.Update(event.UpdateEvent{ObjectOld: store(1, metav1.ConditionTrue), ObjectNew: store(2, metav1.ConditionTrue)}), true},
		{"ready state changed", p.Update(event.UpdateEvent{ObjectOld: store(1, metav1.ConditionFalse), ObjectNew: store(1, metav1.ConditionTrue)}), true},
		{"status rewritten, same state", p.Update(event.UpdateEvent{ObjectOld: store(1, metav1.ConditionTrue), ObjectNew: store(1, metav1.ConditionTrue)}), false},
	} {
		if c.got != c.want {
			t.Errorf("%s: passed %v, want %v", c.name, c.got, c.want)
		}
	}
}
