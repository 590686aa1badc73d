package externalsecret

import (
	"errors"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
)

// fail sets Ready=False from err, and emits a Warning event when the condition changes.
// Every value the reconcile has seen is redacted from the message first (redact.Set.Message:
// of any length from a provider's words, of MinLen bytes and more from Ferry's).
func (r *Reconciler) fail(s *scope, err error) {
	r.forgetSync(client.ObjectKeyFromObject(s.es)) // not in sync: the next reconcile must not trust an old record
	reason := failure.Reason(err, esv1.ReasonSecretSyncedError)
	msg := s.secrets.Message(err)
	prev := readyCondition(s.es)
	setReady(s.es, corev1.ConditionFalse, reason, msg, metav1.NewTime(s.now))
	if prev == nil || prev.Status != corev1.ConditionFalse || prev.Reason != reason || prev.Message != msg {
		r.Recorder.Eventf(s.es, nil, corev1.EventTypeWarning, reason, "Sync", "%s", msg)
	}
}

// outcome is what apply did to the target Secret.
type outcome int

const (
	unchanged outcome = iota
	created
	updated
	deleted
	notWritten // creationPolicy None
)

// succeed sets Ready=True and the sync bookkeeping; refreshTime moves only when the
// Secret changed or the object was not in sync before, so a confirmation writes nothing.
func (r *Reconciler) succeed(s *scope, o outcome) {
	es := s.es
	now := metav1.NewTime(s.now)
	kind := targetKind(es)
	reason, msg := esv1.ReasonSecretSynced, kind+" was synced"
	switch o {
	case deleted:
		reason, msg = esv1.ReasonSecretDeleted, kind+" was deleted: the remote data is gone and deletionPolicy is Delete"
	case notWritten:
		msg = "values were fetched; no " + kind + " is written (creationPolicy None)"
	}
	wasReady := isReady(es)
	setReady(es, corev1.ConditionTrue, reason, msg, now)
	version := syncedVersion(es)
	if o == created || o == updated || o == deleted || !wasReady || es.Status.SyncedResourceVersion != version {
		es.Status.RefreshTime = now
	}
	es.Status.SyncedResourceVersion = version
	es.Status.Binding = corev1.LocalObjectReference{Name: targetName(es)}
	switch o {
	case created:
		r.Recorder.Eventf(es, nil, corev1.EventTypeNormal, "Created", "Sync", "Created %s %s", kind, targetName(es))
	case updated:
		r.Recorder.Eventf(es, nil, corev1.EventTypeNormal, "Updated", "Sync", "Updated %s %s", kind, targetName(es))
	case deleted:
		r.Recorder.Eventf(es, nil, corev1.EventTypeNormal, "Deleted", "Sync", "Deleted %s %s: the remote data is gone", kind, targetName(es))
	}
}

// failureOf returns an error when the Ready condition is False, so that failures handled
// without returning an error (configuration problems) still count as failed syncs.
func failureOf(es *esv1.ExternalSecret) error {
	if c := readyCondition(es); c != nil && c.Status == corev1.ConditionFalse {
		return errors.New(c.Reason)
	}
	return nil
}
