package pushsecret_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestSourceChangeIsPushedWithinSeconds: with a refresh interval of an hour, a change of the
// source Secret — named, or chosen by labels, managed by an ExternalSecret or not — reaches
// the provider in seconds.
func TestSourceChangeIsPushedWithinSeconds(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	source := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source", Labels: map[string]string{"push": "yes"}},
		Data: map[string][]byte{"token": []byte("first")}}
	create(t, source)

	named := pushSecret(ns, "named", "aws", esv1alpha1.PushSecretDeletionPolicyNone, entry("token", ns+"/named", ""))
	create(t, named)
	labelled := pushSecret(ns, "labelled", "aws", esv1alpha1.PushSecretDeletionPolicyNone, entry("token", ns+"/labelled", ""))
	labelled.Spec.Selector.Secret = &esv1alpha1.PushSecretSecret{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"push": "yes"}}}
	create(t, labelled)
	for _, remote := range []string{ns + "/named", ns + "/labelled"} {
		waitRemote(t, sm, remote, "first", 20*time.Second)
	}

	update(t, source, func(s *corev1.Secret) { s.Data["token"] = []byte("second") })
	for _, remote := range []string{ns + "/named", ns + "/labelled"} {
		waitRemote(t, sm, remote, "second", 10*time.Second)
	}

	// A Secret Ferry manages (written by an ExternalSecret) is watched through the other cache.
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fake"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{
			Data: []esv1.FakeProviderData{{Key: "k", Value: "from-fake-1"}}}}}}
	create(t, store)
	waitStoreReady(t, store)
	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "managed"},
		Spec: esv1.ExternalSecretSpec{SecretStoreRef: esv1.SecretStoreRef{Name: "fake", Kind: esv1.SecretStoreKind},
			RefreshInterval: esv1.NewDuration(time.Second),
			Data:            []esv1.ExternalSecretData{{SecretKey: "token", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "k"}}}}}
	create(t, es)
	fromManaged := pushSecret(ns, "from-managed", "aws", esv1alpha1.PushSecretDeletionPolicyNone, entry("token", ns+"/managed", ""))
	fromManaged.Spec.Selector.Secret.Name = "managed"
	create(t, fromManaged)
	waitRemote(t, sm, ns+"/managed", "from-fake-1", 20*time.Second)
	update(t, store, func(s *esv1.SecretStore) { s.Spec.Provider.Fake.Data[0].Value = "from-fake-2" })
	waitRemote(t, sm, ns+"/managed", "from-fake-2", 10*time.Second)
}

// waitRemote waits until the remote secret holds want.
func waitRemote(t *testing.T, sm *secretsmanager.Client, name, want string, timeout time.Duration) {
	t.Helper()
	testenv.Eventually(t, timeout, "remote "+name+" = "+want, func() (bool, error) {
		v, _ := remoteValue(t, sm, name)
		return v == want, nil
	})
}
