package conditions

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Condition is the pointer to one of the API's condition types.
type Condition[T any] interface {
	*T
	ConditionType() string
	ConditionStatus() string
	// TransitionTime points at lastTransitionTime, or is nil for a type without one.
	TransitionTime() *metav1.Time
}

// Find returns the condition of type typ in list, or nil.
func Find[T any, P Condition[T]](list []T, typ string) *T {
	for i := range list {
		if P(&list[i]).ConditionType() == typ {
			return &list[i]
		}
	}
	return nil
}

// Set puts cond into list in place of the condition of its type, or appends it. When the
// status is unchanged, the earlier lastTransitionTime is kept: the condition did not
// transition.
func Set[T any, P Condition[T]](list *[]T, cond T) {
	c := P(&cond)
	old := P(Find[T, P](*list, c.ConditionType()))
	if old == nil {
		*list = append(*list, cond)
		return
	}
	if old.ConditionStatus() == c.ConditionStatus() && old.TransitionTime() != nil {
		*c.TransitionTime() = *old.TransitionTime()
	}
	*old = cond
}

// IsTrue says whether list holds a condition of type typ with status True.
func IsTrue[T any, P Condition[T]](list []T, typ string) bool {
	c := P(Find[T, P](list, typ))
	return c != nil && c.ConditionStatus() == string(metav1.ConditionTrue)
}
