package pushsecret

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/conditions"
	"github.com/ferryhq/ferry/internal/controller/statuswrite"
	"github.com/ferryhq/ferry/internal/metrics"
)

const conditionReady = "Ready"

// setStatus sets the Ready condition from the verdict and, on success, what was pushed.
// refreshTime moves only when what was pushed changed, the object was not in sync, or the
// values were generated anew (which generationDue counts from), so a steady state writes
// nothing.
func setStatus(s *scope, v verdict, pushed esv1alpha1.SyncedPushSecretsMap) {
	ps := s.ps
	if !v.ready {
		setReady(ps, metav1.ConditionFalse, v.reason, s.secrets.Message(v.failed), s.now)
		return
	}
	wasReady := conditions.IsTrue(ps.Status.Conditions, conditionReady)
	setReady(ps, metav1.ConditionTrue, v.reason, v.message, s.now)
	if !equality.Semantic.DeepEqual(ps.Status.SyncedPushSecrets, pushed) || ps.Status.RefreshTime.IsZero() || !wasReady || s.generated {
		ps.Status.RefreshTime = s.now
	}
	ps.Status.SyncedPushSecrets = pushed
	ps.Status.SyncedResourceVersion = statuswrite.SyncedVersion(ps)
}

// setReady sets the Ready condition, keeping lastTransitionTime when the status is unchanged.
func setReady(ps *esv1alpha1.PushSecret, status metav1.ConditionStatus, reason, message string, now metav1.Time) {
	conditions.Set(&ps.Status.Conditions, esv1alpha1.PushSecretStatusCondition{
		Type: conditionReady, Status: status, Reason: reason, Message: message, LastTransitionTime: now})
}

func readyCondition(ps *esv1alpha1.PushSecret) *esv1alpha1.PushSecretStatusCondition {
	return conditions.Find(ps.Status.Conditions, conditionReady)
}

// report records the Ready condition and the reconcile's duration in the metrics, and a
// Warning event when the object turns (or stays, for another reason) not Ready: once per
// change of the condition, not once per retry.
func (r *Reconciler) report(s *scope) {
	c, prev := readyCondition(s.ps), readyCondition(s.before)
	if c != nil {
		r.Metrics.Reconciled(metrics.PushSecret, client.ObjectKeyFromObject(s.ps), string(c.Status), time.Since(s.now.Time))
	}
	if c == nil || c.Status == metav1.ConditionTrue {
		return
	}
	if prev != nil && prev.Status == c.Status && prev.Reason == c.Reason && prev.Message == c.Message {
		return
	}
	r.Recorder.Eventf(s.ps, nil, corev1.EventTypeWarning, c.Reason, "Push", "%s", c.Message)
}
