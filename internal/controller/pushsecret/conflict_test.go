package pushsecret_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/conditions"
	"github.com/ferryhq/ferry/internal/controller/pushsecret"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestStatusConflictIsRetried: a status write that meets a newer version of the PushSecret
// (a label edit, which the predicates let pass without a reconcile) is not dropped until
// the hour-long refresh: the reconcile asks to run again, and the next one writes Ready.
// The objects carry a controller class of their own, so the suite's operator leaves them
// to the reconciler this test drives by hand.
func TestStatusConflictIsRetried(t *testing.T) {
	const class = "conflict-test"
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("t0ken")}})
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "store"},
		Spec: esv1.SecretStoreSpec{Controller: class, Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: []esv1.FakeProviderData{}}}}}
	create(t, store)
	// No store controller serves the class: say the store is Ready, as one would.
	store.Status.Conditions = []esv1.SecretStoreStatusCondition{{Type: esv1.SecretStoreReady, Status: metav1.ConditionTrue,
		Reason: esv1.ReasonStoreValid, LastTransitionTime: metav1.Now()}}
	if err := k8s.Status().Update(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	ps := pushSecret(ns, "conflict", "store", esv1alpha1.PushSecretDeletionPolicyNone, entry("token", "remote", ""))
	create(t, ps)

	c := controlPlane.StatusConflicts(t, 1)
	r := &pushsecret.Reconciler{Client: c, APIReader: c, ControllerClass: class,
		Fetcher:  fetch.New(provider.NewRegistry(fake.New()), nil, fetch.Options{}),
		Recorder: events.NewFakeRecorder(10)}
	req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(ps)}

	res, err := r.Reconcile(context.Background(), req)
	if err != nil || res.RequeueAfter == 0 || res.RequeueAfter >= refreshOf(ps) {
		t.Fatalf("after a conflicting status write: result %+v, error %v; want a prompt requeue", res, err)
	}
	if pushReady(t, ps) {
		t.Fatal("Ready written through a conflict")
	}
	if _, err := r.Reconcile(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if !pushReady(t, ps) {
		t.Errorf("the retried reconcile did not write Ready: %+v", ps.Status.Conditions)
	}
}

func refreshOf(ps *esv1alpha1.PushSecret) time.Duration { return ps.Spec.RefreshInterval.Duration }

func pushReady(t *testing.T, ps *esv1alpha1.PushSecret) bool {
	t.Helper()
	var got esv1alpha1.PushSecret
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(ps), &got); err != nil {
		t.Fatal(err)
	}
	ps.Status = got.Status
	return conditions.IsTrue(got.Status.Conditions, "Ready")
}
