package pushsecret

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// TestFinalizeReadsTheCurrentPolicy: a PushSecret whose deletionPolicy was changed from
// Delete to None, then deleted before a reconcile removed its finalizer, is released
// without deleting anything it pushed (the Reconciler has no fetcher: any deletion would
// panic). The API-level deletion path is TestPushToSecretsManager's.
func TestFinalizeReadsTheCurrentPolicy(t *testing.T) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, esv1alpha1.AddToScheme, esv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	ps := &esv1alpha1.PushSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "push", Finalizers: []string{Finalizer, "test/hold"}},
		Spec:       esv1alpha1.PushSecretSpec{DeletionPolicy: esv1alpha1.PushSecretDeletionPolicyNone},
		Status: esv1alpha1.PushSecretStatus{SyncedPushSecrets: esv1alpha1.SyncedPushSecretsMap{
			"SecretStore/aws": {"app/db": esv1alpha1.PushSecretData{Match: esv1alpha1.PushSecretMatch{
				SecretKey: "password", RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: "app/db"}}}},
		}},
	}
	// The store exists: a deletion would go on to the fetcher.
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "aws"}}
	kube := fake.NewClientBuilder().WithScheme(scheme).WithObjects(ps, store).WithStatusSubresource(ps).Build()
	r := &Reconciler{Client: kube}
	if err := r.finalize(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	var got esv1alpha1.PushSecret
	if err := kube.Get(context.Background(), client.ObjectKeyFromObject(ps), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Finalizers) != 1 || got.Finalizers[0] != "test/hold" {
		t.Errorf("finalizers = %v, want only test/hold (Ferry's released)", got.Finalizers)
	}
}
