package pushsecret_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestOtherControllerClassIsLeftAlone: a PushSecret whose stores belong to another
// controller class gets no finalizer, no status and no event from Ferry, and neither does
// its store. A PushSecret of Ferry's own, created after it in the same namespace, going
// Ready shows that Ferry had its turn at both.
func TestOtherControllerClassIsLeftAlone(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("t0ken")}})
	other := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "theirs"},
		Spec: esv1.SecretStoreSpec{Controller: "eso", Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: []esv1.FakeProviderData{}}}}}
	create(t, other)
	theirs := pushSecret(ns, "theirs", "theirs", esv1alpha1.PushSecretDeletionPolicyDelete, entry("token", "remote", ""))
	create(t, theirs)

	ours := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ours"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: []esv1.FakeProviderData{}}}}}
	create(t, ours)
	waitStoreReady(t, ours)
	mine := pushSecret(ns, "mine", "ours", esv1alpha1.PushSecretDeletionPolicyDelete, entry("token", "remote", ""))
	create(t, mine)
	waitPushReady(t, mine, metav1.ConditionTrue)

	if err := k8s.Get(ctx, client.ObjectKeyFromObject(theirs), theirs); err != nil {
		t.Fatal(err)
	}
	if len(theirs.Finalizers) != 0 || len(theirs.Status.Conditions) != 0 || theirs.Status.SyncedPushSecrets != nil {
		t.Errorf("another class's PushSecret was written: finalizers %v, status %+v", theirs.Finalizers, theirs.Status)
	}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(other), other); err != nil {
		t.Fatal(err)
	}
	if len(other.Status.Conditions) != 0 {
		t.Errorf("another class's store got a status: %+v", other.Status)
	}
	var events corev1.EventList
	if err := k8s.List(ctx, &events, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, ev := range events.Items {
		if ev.InvolvedObject.Name == "theirs" {
			t.Errorf("event about another class's object: %s %s", ev.Reason, ev.Message)
		}
	}
}
