package statuswrite

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// BenchmarkStatusPatch computes the patch of an ExternalSecret's first sync as the bench's
// objects are (a label, one data entry, the Ready condition): the status alone, against
// client.MergeFrom's diff of the whole objects.
func BenchmarkStatusPatch(b *testing.B) {
	now := metav1.NewTime(time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))
	before := &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "bench-01", Name: "es-00001", ResourceVersion: "12345", Generation: 1,
			UID: "0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f", Labels: map[string]string{"bench": "ferry"},
			Finalizers: []string{"external-secrets.io/externalsecret-cleanup"}, CreationTimestamp: now},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef:  esv1.SecretStoreRef{Name: "bench", Kind: esv1.ClusterSecretStoreKind},
			RefreshInterval: &esv1.Duration{Duration: 2 * time.Minute, Text: "2m"},
			Target:          esv1.ExternalSecretTarget{Name: "es-00001", CreationPolicy: esv1.CreatePolicyOwner},
			Data:            []esv1.ExternalSecretData{{SecretKey: "value", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "bench/key-00001"}}},
		},
	}
	after := before.DeepCopy()
	after.Status = esv1.ExternalSecretStatus{RefreshTime: now, SyncedResourceVersion: "1-9f86d081884c7d65", Binding: corev1.LocalObjectReference{Name: "es-00001"},
		Conditions: []esv1.ExternalSecretStatusCondition{{Type: esv1.ExternalSecretReady, Status: corev1.ConditionTrue,
			Reason: "SecretSynced", Message: "secret synced", LastTransitionTime: now}}}
	for _, c := range []struct {
		name  string
		patch client.Patch
	}{
		{"status", statusPatch{before: before}},
		{"MergeFrom", client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.patch.Data(after); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
