package fanout_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/controller/fanout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestStatusConflictIsRetried: a status write that meets a newer version of the
// ClusterExternalSecret is not dropped until the refresh interval: the reconcile asks to
// run again shortly. (The suite's operator reconciles the same object, so only what the
// hand-driven reconcile returns is asserted.)
func TestStatusConflictIsRetried(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	ces := &esv1.ClusterExternalSecret{ObjectMeta: metav1.ObjectMeta{Name: "conflict-" + ns},
		Spec: esv1.ClusterExternalSecretSpec{
			Namespaces:      []esv1.NamespaceName{esv1.NamespaceName(ns)},
			RefreshInterval: esv1.NewDuration(time.Hour),
			ExternalSecretSpec: esv1.ExternalSecretSpec{
				SecretStoreRef: esv1.SecretStoreRef{Name: "none", Kind: esv1.ClusterSecretStoreKind},
				Data:           []esv1.ExternalSecretData{{SecretKey: "v", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "k"}}},
			},
		}}
	if err := k8s.Create(ctx, ces); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, ces) })

	// The suite's operator may have written the status already: a message of this
	// reconcile's own makes sure it has something to write, and so meets the conflict.
	kind := fanout.ExternalSecrets()
	set := kind.SetStatus
	kind.SetStatus = func(p *esv1.ClusterExternalSecret, o fanout.Outcome) { o.Message += " (by hand)"; set(p, o) }
	r := &fanout.Reconciler[*esv1.ClusterExternalSecret, *esv1.ExternalSecret]{Kind: kind,
		Client: controlPlane.StatusConflicts(t, 1), Recorder: events.NewFakeRecorder(10)}
	res, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(ces)})
	if err != nil || res.RequeueAfter == 0 || res.RequeueAfter >= time.Hour {
		t.Fatalf("after a conflicting status write: result %+v, error %v; want a prompt requeue", res, err)
	}
}
