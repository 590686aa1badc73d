package pushsecret_test

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

func awsRef() *esv1alpha1.PushSecretStoreRef {
	return &esv1alpha1.PushSecretStoreRef{Name: "aws", Kind: esv1.SecretStoreKind}
}

// TestDataToPushesEveryMatchedKey follows ESO's dataTo guide: keys matching the regexp are
// pushed one remote secret each under their rewritten names, an explicit spec.data entry
// overrides dataTo for its key, remoteKey bundles the selected keys into one JSON object,
// and a key removed from the source is deleted remotely (deletionPolicy Delete).
func TestDataToPushesEveryMatchedKey(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	source := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"}, Data: map[string][]byte{
		"db-host": []byte("db.internal"), "db-port": []byte("5432"), "api-key": []byte("k-123"), "other": []byte("x")}}
	create(t, source)

	ps := pushSecret(ns, "bulk", "aws", esv1alpha1.PushSecretDeletionPolicyDelete, entry("db-port", ns+"/custom-port", ""))
	ps.Spec.DataTo = []esv1alpha1.PushSecretDataTo{
		{StoreRef: awsRef(), Match: &esv1alpha1.PushSecretDataToMatch{RegExp: "^db-"},
			Rewrite: []esv1alpha1.PushSecretRewrite{{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: "^db-", Target: ns + "/database/"}}}},
		{StoreRef: awsRef(), Match: &esv1alpha1.PushSecretDataToMatch{RegExp: "^api-"}, RemoteKey: ns + "/bundle"},
	}
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)
	want := map[string]string{
		ns + "/database/host": "db.internal",
		ns + "/custom-port":   "5432",
		ns + "/bundle":        `{"api-key":"k-123"}`,
	}
	for name, value := range want {
		if got, _ := remoteValue(t, sm, name); got != value {
			t.Errorf("remote %s = %q, want %q", name, got, value)
		}
	}
	for _, absent := range []string{ns + "/database/port", "other", ns + "/other"} {
		if _, found := remoteValue(t, sm, absent); found {
			t.Errorf("remote %s exists: explicit data overrides dataTo, and unmatched keys are not pushed", absent)
		}
	}

	update(t, source, func(s *corev1.Secret) { delete(s.Data, "db-host") })
	testenv.Eventually(t, 10*time.Second, "the removed key deleted remotely", func() (bool, error) {
		_, found := remoteValue(t, sm, ns+"/database/host")
		return !found, nil
	})
}

// TestDataToCollisionIsRefused: rewrites that send two keys to one remote key are refused
// with InvalidSpec naming both, and nothing of the entry is pushed.
func TestDataToCollisionIsRefused(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"a": []byte("1"), "b": []byte("2")}})
	ps := pushSecret(ns, "collide", "aws", esv1alpha1.PushSecretDeletionPolicyNone)
	ps.Spec.DataTo = []esv1alpha1.PushSecretDataTo{{StoreRef: awsRef(),
		Rewrite: []esv1alpha1.PushSecretRewrite{{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: ".*", Target: ns + "/same"}}}}}
	create(t, ps)
	msg := waitPushReady(t, ps, metav1.ConditionFalse)
	if c := ps.Status.Conditions[0]; c.Reason != esv1.ReasonInvalidSpec ||
		!strings.Contains(msg, `spec.dataTo[0] (key "a")`) || !strings.Contains(msg, `spec.dataTo[0] (key "b")`) {
		t.Errorf("Ready %s: %q, want InvalidSpec naming both keys", c.Reason, msg)
	}
	if _, found := remoteValue(t, sm, ns+"/same"); found {
		t.Error("a colliding entry was pushed")
	}
}
