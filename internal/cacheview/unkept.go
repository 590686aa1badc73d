package cacheview

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Unkept is the part of metav1.Object that a compact cached type does not keep: embedded
// in it, every field but the name, namespace and resourceVersion (which the type must keep:
// informers key objects by the first two and tell an update from a resync by the third)
// reads as empty, and what is set is dropped. The type defines the getters and setters of
// what it does keep, which take the place of these. It has no size: first in a struct, it
// adds nothing.
type Unkept struct{}

// GetGenerateName reads as empty.
func (Unkept) GetGenerateName() string { return "" }

// SetGenerateName drops what it is given.
func (Unkept) SetGenerateName(string) {}

// GetUID reads as empty.
func (Unkept) GetUID() types.UID { return "" }

// SetUID drops what it is given.
func (Unkept) SetUID(types.UID) {}

// GetGeneration reads as empty.
func (Unkept) GetGeneration() int64 { return 0 }

// SetGeneration drops what it is given.
func (Unkept) SetGeneration(int64) {}

// GetSelfLink reads as empty.
func (Unkept) GetSelfLink() string { return "" }

// SetSelfLink drops what it is given.
func (Unkept) SetSelfLink(string) {}

// GetCreationTimestamp reads as empty.
func (Unkept) GetCreationTimestamp() metav1.Time { return metav1.Time{} }

// SetCreationTimestamp drops what it is given.
func (Unkept) SetCreationTimestamp(metav1.Time) {}

// GetDeletionTimestamp reads as empty.
func (Unkept) GetDeletionTimestamp() *metav1.Time { return nil }

// SetDeletionTimestamp drops what it is given.
func (Unkept) SetDeletionTimestamp(*metav1.Time) {}

// GetDeletionGracePeriodSeconds reads as empty.
func (Unkept) GetDeletionGracePeriodSeconds() *int64 { return nil }

// SetDeletionGracePeriodSeconds drops what it is given.
func (Unkept) SetDeletionGracePeriodSeconds(*int64) {}

// GetLabels reads as empty.
func (Unkept) GetLabels() map[string]string { return nil }

// SetLabels drops what it is given.
func (Unkept) SetLabels(map[string]string) {}

// GetAnnotations reads as empty.
func (Unkept) GetAnnotations() map[string]string { return nil }

// SetAnnotations drops what it is given.
func (Unkept) SetAnnotations(map[string]string) {}

// GetFinalizers reads as empty.
func (Unkept) GetFinalizers() []string { return nil }

// SetFinalizers drops what it is given.
func (Unkept) SetFinalizers([]string) {}

// GetOwnerReferences reads as empty.
func (Unkept) GetOwnerReferences() []metav1.OwnerReference { return nil }

// SetOwnerReferences drops what it is given.
func (Unkept) SetOwnerReferences([]metav1.OwnerReference) {}

// GetManagedFields reads as empty.
func (Unkept) GetManagedFields() []metav1.ManagedFieldsEntry { return nil }

// SetManagedFields drops what it is given.
func (Unkept) SetManagedFields([]metav1.ManagedFieldsEntry) {}
