package statuswrite

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SyncedVersion is what status.syncedResourceVersion records: the spec generation and a
// hash of the user's labels and annotations, so that any change of the spec or metadata
// (the force-sync pattern) is seen as a change.
func SyncedVersion(obj metav1.Object) string {
	h := fnv.New64a()
	for _, m := range []map[string]string{obj.GetLabels(), obj.GetAnnotations()} {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if k == corev1.LastAppliedConfigAnnotation {
				continue
			}
			fmt.Fprintf(h, "%s=%s\x00", k, m[k])
		}
		_, _ = h.Write([]byte{1})
	}
	return fmt.Sprintf("%d-%x", obj.GetGeneration(), h.Sum64())
}
