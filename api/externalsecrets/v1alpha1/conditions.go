package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ConditionType returns the condition's type (internal/conditions sets and finds
// conditions of every kind through these accessors).
func (c *PushSecretStatusCondition) ConditionType() string { return c.Type }

// ConditionStatus returns True, False or Unknown.
func (c *PushSecretStatusCondition) ConditionStatus() string { return string(c.Status) }

// TransitionTime returns the condition's lastTransitionTime.
func (c *PushSecretStatusCondition) TransitionTime() *metav1.Time { return &c.LastTransitionTime }
