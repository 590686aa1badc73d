package externalsecret

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/controller/statuswrite"
)

// A sync of an unchanged spec that changed the Secret but left every condition as it was (a
// value update of an object that stays Ready) changes only the status's refreshTime. Its
// status patch is written by a follow-up reconcile queued at the refresh priority, behind
// every first sync and reported change still waiting, so that when one remote key read by a
// thousand objects changes, their Secrets are written first and their status after. On the
// API server the patch costs as much as the Secret write itself; ahead of the other objects'
// Secrets it would have doubled the time until the last of them holds the new value
// (docs/design/0005). The follow-up runs through the same queue and shard filter as any
// reconcile, so it is never concurrent with another reconcile of the object and never made
// by a replica that lost the object's shard.

// pendingStatus is a status computed by a sync and not written yet.
type pendingStatus struct {
	uid    types.UID
	status esv1.ExternalSecretStatus
}

// statusFollowUp is how soon the follow-up is ready: at once, but at the refresh priority.
const statusFollowUp = time.Millisecond

// deferStatus holds the status of such a sync for a follow-up reconcile, and says whether
// it did. Failures, first syncs, syncs of a new spec (whose syncedResourceVersion users wait
// for) and every change of a condition are written at once.
func (r *Reconciler) deferStatus(s *scope, syncErr error) bool {
	if syncErr != nil || !isReady(s.before) ||
		s.before.Status.SyncedResourceVersion != s.es.Status.SyncedResourceVersion ||
		!equality.Semantic.DeepEqual(s.before.Status.Conditions, s.es.Status.Conditions) ||
		equality.Semantic.DeepEqual(s.before.Status, s.es.Status) {
		return false
	}
	r.pendingStatus.Store(key(s), pendingStatus{uid: s.es.UID, status: *s.es.Status.DeepCopy()})
	return true
}

// followUp is the result of a sync whose status is pending.
func followUp() ctrl.Result {
	return ctrl.Result{RequeueAfter: statusFollowUp, Priority: refreshPriority()}
}

// writePendingStatus writes the status a sync left for later, onto es as the cache holds it
// now (the status is only ever written by this controller, and every reconcile takes what
// is pending first, so nothing newer can have been written meanwhile). On a conflict the
// status stays pending and is tried again shortly.
func (r *Reconciler) writePendingStatus(ctx context.Context, es *esv1.ExternalSecret) (retry *ctrl.Result, err error) {
	k := types.NamespacedName{Namespace: es.Namespace, Name: es.Name}
	v, ok := r.pendingStatus.LoadAndDelete(k)
	if !ok {
		return nil, nil
	}
	p := v.(pendingStatus)
	if p.uid != es.UID || equality.Semantic.DeepEqual(es.Status, p.status) {
		return nil, nil
	}
	before := es.DeepCopy()
	es.Status = p.status
	r.Metrics.StatusWrite()
	err = statuswrite.Patch(ctx, r.Client, before, es, esv1.ExtSecretKind)
	if err == nil {
		return nil, nil
	}
	r.pendingStatus.Store(k, p)
	if apierrors.IsConflict(err) {
		return &ctrl.Result{RequeueAfter: statuswrite.RetryConflict, Priority: refreshPriority()}, nil
	}
	return &ctrl.Result{}, err
}
