package secretstore_test

import (
	"context"
	"os"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/conditions"
	"github.com/ferryhq/ferry/internal/controller/secretstore"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/testenv"
)

var cp *testenv.ControlPlane

func TestMain(m *testing.M) {
	operatortest.SetLogger(nil, 0)
	os.Exit(testenv.Run(m, func(c *testenv.ControlPlane) { cp = c }))
}

// TestStatusConflictIsRetried: a status write that meets a newer version of the store (a
// label edit, which the generation predicate lets pass without an event) is not dropped:
// the reconcile asks to run again, and the next one writes Ready.
func TestStatusConflictIsRetried(t *testing.T) {
	ns := testenv.Namespace(t, cp.Client, nil)
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fake"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{
			Data: []esv1.FakeProviderData{{Key: "k", Value: "v"}}}}}}
	if err := cp.Client.Create(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	c := cp.StatusConflicts(t, 1)
	r := &secretstore.Reconciler{Client: c, Fetcher: fetch.New(provider.NewRegistry(fake.New()), nil, fetch.Options{}),
		Recorder: events.NewFakeRecorder(10), Kind: esv1.SecretStoreKind}
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(store)}

	res, err := r.Reconcile(context.Background(), req)
	if err != nil || res.RequeueAfter == 0 {
		t.Fatalf("after a conflicting status write: result %+v, error %v; want a requeue", res, err)
	}
	if ready(t, store) {
		t.Fatal("Ready written through a conflict")
	}
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if !ready(t, store) {
		t.Error("the retried reconcile did not write Ready")
	}
}

func ready(t *testing.T, store *esv1.SecretStore) bool {
	t.Helper()
	var got esv1.SecretStore
	if err := cp.Client.Get(context.Background(), client.ObjectKeyFromObject(store), &got); err != nil {
		t.Fatal(err)
	}
	return conditions.IsTrue(got.Status.Conditions, string(esv1.SecretStoreReady))
}
