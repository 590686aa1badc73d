package externalsecret

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/metrics"
)

// report records a reconcile that synced: its duration and the Ready condition it set.
func (r *Reconciler) report(s *scope) {
	r.Metrics.Reconciled(metrics.ExternalSecret, key(s), readyStatus(s), time.Since(s.started))
}

// idle handles a reconcile that found nothing due. The Ready condition this process set at
// its last sync stands; an object it has not synced yet (after a start) reports the
// condition of its status, unless another controller class handles it, and tells the
// fetcher what it reads (Fetcher.Expect): a change report reaches it before its first
// refresh in this process, and that refresh reads its store in batches.
func (r *Reconciler) idle(ctx context.Context, s *scope) {
	ready := ""
	if _, syncedHere := r.syncedAt(s.es); !syncedHere {
		stores, err := r.resolveStores(ctx, s.es)
		if failure.IsNotOurs(err) {
			return
		}
		if err == nil {
			source := r.sources(s, stores)
			r.expectReads(ctx, s.es, func(ref *esv1.SecretStoreRef) (fetch.Source, bool) { return source(ref), true })
		}
		ready = readyStatus(s)
	}
	r.Metrics.Reconciled(metrics.ExternalSecret, key(s), ready, time.Since(s.started))
}

func key(s *scope) types.NamespacedName {
	return types.NamespacedName{Namespace: s.es.Namespace, Name: s.es.Name}
}

// readyStatus is the status of the Ready condition, "" without one.
func readyStatus(s *scope) string {
	if c := readyCondition(s.es); c != nil {
		return string(c.Status)
	}
	return ""
}
