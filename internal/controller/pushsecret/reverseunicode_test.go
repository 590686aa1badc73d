package pushsecret_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestReverseUnicodeDeleteRemovesThePushedProperty is the regression test of a delete that
// rebuilt the remote reference from the unconverted entry: the property pushed as "db.host"
// was then deleted as "db_U002e_host", which does not exist, and stayed behind.
func TestReverseUnicodeDeleteRemovesThePushedProperty(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"db_U002e_host": []byte("db.internal"), "user": []byte("admin")}})

	remote := ns + "/config"
	escaped := entry("db_U002e_host", remote, "db_U002e_host")
	escaped.ConversionStrategy = esv1alpha1.PushSecretConversionReverseUnicode
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyDelete, escaped, entry("user", remote, "user"))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)
	if v, _ := remoteValue(t, sm, remote); v != `{"db.host":"db.internal","user":"admin"}` {
		t.Fatalf("pushed = %s, want the property under its original name db.host", v)
	}

	update(t, ps, func(ps *esv1alpha1.PushSecret) { ps.Spec.Data = ps.Spec.Data[1:] })
	testenv.Eventually(t, 20*time.Second, "db.host deleted from the remote secret", func() (bool, error) {
		v, _ := remoteValue(t, sm, remote)
		return v == `{"user":"admin"}`, nil
	})
}
