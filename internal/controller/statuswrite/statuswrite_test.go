package statuswrite_test

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/controller/statuswrite"
	"github.com/ferryhq/ferry/internal/testenv"
)

var cp *testenv.ControlPlane

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, func(c *testenv.ControlPlane) { cp = c }))
}

// TestPatchWritesTheStatusOnly writes statuses through the API server's status subresource:
// a field set, one changed and one removed arrive as they are on the object, the spec and
// labels changed on the local copy are not written, and a write from a version that is no
// longer current is refused with a conflict.
func TestPatchWritesTheStatusOnly(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, cp.Client, nil)
	es := &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db", Labels: map[string]string{"team": "a"}},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef: esv1.SecretStoreRef{Name: "vault"},
			Data:           []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db"}}},
		},
	}
	if err := cp.Client.Create(ctx, es); err != nil {
		t.Fatal(err)
	}

	before := es.DeepCopy()
	refreshed := metav1.NewTime(time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))
	es.Status = esv1.ExternalSecretStatus{
		RefreshTime: refreshed, SyncedResourceVersion: "1-abc", Binding: corev1.LocalObjectReference{Name: "db"},
		Conditions: []esv1.ExternalSecretStatusCondition{{Type: esv1.ExternalSecretReady, Status: corev1.ConditionTrue,
			Reason: "SecretSynced", Message: "synced", LastTransitionTime: refreshed}},
	}
	if err := statuswrite.Patch(ctx, cp.Client, before, es, esv1.ExtSecretKind); err != nil {
		t.Fatal(err)
	}

	// Change a condition, drop the binding, and edit the spec and labels locally: only the
	// status may reach the API server.
	before = es.DeepCopy()
	es.Status.Conditions[0].Status, es.Status.Conditions[0].Reason = corev1.ConditionFalse, "SecretSyncedError"
	es.Status.Binding = corev1.LocalObjectReference{}
	es.Spec.Data[0].RemoteRef.Key = "changed-locally"
	es.Labels["team"] = "changed-locally"
	if err := statuswrite.Patch(ctx, cp.Client, before, es, esv1.ExtSecretKind); err != nil {
		t.Fatal(err)
	}

	var got esv1.ExternalSecret
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(es), &got); err != nil {
		t.Fatal(err)
	}
	c := got.Status.Conditions
	if len(c) != 1 || c[0].Status != corev1.ConditionFalse || c[0].Reason != "SecretSyncedError" || c[0].Message != "synced" {
		t.Errorf("conditions on the server: %+v", c)
	}
	if got.Status.Binding.Name != "" || got.Status.SyncedResourceVersion != "1-abc" || !got.Status.RefreshTime.Equal(&refreshed) {
		t.Errorf("status on the server: %+v; want the binding removed, the rest kept", got.Status)
	}
	if got.Spec.Data[0].RemoteRef.Key != "db" || got.Labels["team"] != "a" {
		t.Errorf("a status write changed the spec or labels: key %q, labels %v", got.Spec.Data[0].RemoteRef.Key, got.Labels)
	}

	// before is now two versions old: the write must not overwrite what it did not read.
	es.Status.SyncedResourceVersion = "2-def"
	err := statuswrite.Patch(ctx, cp.Client, before, es, esv1.ExtSecretKind)
	if !apierrors.IsConflict(err) {
		t.Errorf("a write from an old version: %v, want a conflict", err)
	}
}
