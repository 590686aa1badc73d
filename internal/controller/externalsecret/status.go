package externalsecret

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/conditions"
)

// setReady sets the Ready condition, keeping lastTransitionTime when the status is unchanged.
func setReady(es *esv1.ExternalSecret, status corev1.ConditionStatus, reason, message string, now metav1.Time) {
	conditions.Set(&es.Status.Conditions, esv1.ExternalSecretStatusCondition{
		Type: esv1.ExternalSecretReady, Status: status, Reason: reason, Message: message, LastTransitionTime: now,
	})
}

// readyCondition returns the Ready condition, or nil.
func readyCondition(es *esv1.ExternalSecret) *esv1.ExternalSecretStatusCondition {
	return conditions.Find(es.Status.Conditions, string(esv1.ExternalSecretReady))
}

// isReady says whether the Ready condition is True.
func isReady(es *esv1.ExternalSecret) bool {
	return conditions.IsTrue(es.Status.Conditions, string(esv1.ExternalSecretReady))
}
