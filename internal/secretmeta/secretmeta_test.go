package secretmeta

import (
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSlim checks what the cache keeps of a Secret's metadata: its identity, the labels and
// the annotations asked for, and never kubectl's last-applied-configuration (which holds the
// Secret's data), managed fields or owners.
func TestSlim(t *testing.T) {
	isIgnore := func(key string) bool { return key == "ferry.dev/ignore" }
	tests := []struct {
		name            string
		opts            Options
		wantLabels      map[string]string
		wantAnnotations map[string]string
	}{
		{"nothing asked", Options{}, nil, nil},
		{"labels", Options{Labels: true}, map[string]string{"team": "a"}, nil},
		{"labels and one annotation", Options{Labels: true, Annotation: isIgnore},
			map[string]string{"team": "a"}, map[string]string{"ferry.dev/ignore": "true"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Object()
			in.ObjectMeta = metav1.ObjectMeta{Name: "db", Namespace: "ns", UID: "u", ResourceVersion: "7",
				Labels: map[string]string{"team": "a"},
				Annotations: map[string]string{"ferry.dev/ignore": "true",
					corev1.LastAppliedConfigAnnotation: `{"data":{"k":"c2VjcmV0"}}`},
				ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
				OwnerReferences: []metav1.OwnerReference{{Name: "owner"}}}
			out, err := tc.opts.slim(in)
			if err != nil {
				t.Fatal(err)
			}
			m := out.(*metav1.PartialObjectMetadata)
			if m.Name != "db" || m.Namespace != "ns" || m.UID != "" || m.ResourceVersion != "7" {
				t.Errorf("identity = %s/%s uid %q rv %s, want ns/db, no uid, rv 7", m.Namespace, m.Name, m.UID, m.ResourceVersion)
			}
			if !maps.Equal(m.Labels, tc.wantLabels) {
				t.Errorf("labels = %v, want %v", m.Labels, tc.wantLabels)
			}
			if !maps.Equal(m.Annotations, tc.wantAnnotations) {
				t.Errorf("annotations = %v, want %v", m.Annotations, tc.wantAnnotations)
			}
			if m.ManagedFields != nil || m.OwnerReferences != nil {
				t.Errorf("managed fields or owners kept: %v, %v", m.ManagedFields, m.OwnerReferences)
			}
		})
	}
}
