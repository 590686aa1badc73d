package storeref

import (
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Changed passes store events that can change what the objects using a store see:
// creation, deletion, a new generation, or a change of its Ready condition's status or
// reason (a store first validated as not ready, or as a provider Ferry does not implement,
// is news to objects that saw it unvalidated). The stores a process finds when it starts
// are no news: every object is reconciled for its own first listing, after the stores are
// in the cache; queueing a store's readers again would reconcile those already done twice.
func Changed() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return !e.IsInInitialList },
		UpdateFunc: func(e event.UpdateEvent) bool {
			oldStore, newStore := e.ObjectOld.(esv1.GenericStore), e.ObjectNew.(esv1.GenericStore)
			return oldStore.GetGeneration() != newStore.GetGeneration() || readyState(oldStore) != readyState(newStore)
		},
	}
}

func readyState(store esv1.GenericStore) string {
	if c := ReadyCondition(store); c != nil {
		return string(c.Status) + "/" + c.Reason
	}
	return ""
}
