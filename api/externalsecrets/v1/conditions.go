package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// The accessors below let one helper (internal/conditions) set and find conditions of every
// kind, although ESO's API gives each kind a condition type of its own.

// ConditionType returns the condition's type.
func (c *ExternalSecretStatusCondition) ConditionType() string { return string(c.Type) }

// ConditionStatus returns True, False or Unknown.
func (c *ExternalSecretStatusCondition) ConditionStatus() string { return string(c.Status) }

// TransitionTime returns the condition's lastTransitionTime.
func (c *ExternalSecretStatusCondition) TransitionTime() *metav1.Time { return &c.LastTransitionTime }

// ConditionType returns the condition's type.
func (c *SecretStoreStatusCondition) ConditionType() string { return string(c.Type) }

// ConditionStatus returns True, False or Unknown.
func (c *SecretStoreStatusCondition) ConditionStatus() string { return string(c.Status) }

// TransitionTime returns the condition's lastTransitionTime.
func (c *SecretStoreStatusCondition) TransitionTime() *metav1.Time { return &c.LastTransitionTime }

// ConditionType returns the condition's type.
func (c *ClusterExternalSecretStatusCondition) ConditionType() string { return string(c.Type) }

// ConditionStatus returns True, False or Unknown.
func (c *ClusterExternalSecretStatusCondition) ConditionStatus() string { return string(c.Status) }

// TransitionTime returns nil: ESO's ClusterExternalSecret conditions have no
// lastTransitionTime.
func (c *ClusterExternalSecretStatusCondition) TransitionTime() *metav1.Time { return nil }
