package externalsecret

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// setReady sets the Ready condition, keeping lastTransitionTime when the status is unchanged.
func setReady(es *esv1.ExternalSecret, status corev1.ConditionStatus, reason, message string, now metav1.Time) {
	cond := esv1.ExternalSecretStatusCondition{
		Type: esv1.ExternalSecretReady, Status: status, Reason: reason, Message: message, LastTransitionTime: now,
	}
	for i := range es.Status.Conditions {
		c := &es.Status.Conditions[i]
		if c.Type != esv1.ExternalSecretReady {
			continue
		}
		if c.Status == status {
			cond.LastTransitionTime = c.LastTransitionTime
		}
		*c = cond
		return
	}
	es.Status.Conditions = append(es.Status.Conditions, cond)
}

// readyCondition returns the Ready condition, or nil.
func readyCondition(es *esv1.ExternalSecret) *esv1.ExternalSecretStatusCondition {
	for i := range es.Status.Conditions {
		if es.Status.Conditions[i].Type == esv1.ExternalSecretReady {
			return &es.Status.Conditions[i]
		}
	}
	return nil
}

// isReady says whether the Ready condition is True.
func isReady(es *esv1.ExternalSecret) bool {
	c := readyCondition(es)
	return c != nil && c.Status == corev1.ConditionTrue
}
