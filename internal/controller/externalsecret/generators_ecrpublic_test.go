package externalsecret_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// moto does not emulate ECR Public: scope public is tested against ecrPublic, an
// in-process server written from ECR Public's API reference that verifies the request's
// Signature Version 4 with the test's keys.

// TestECRPublicAuthorizationToken checks that scope public writes exactly the login ECR
// Public issued (no proxy_endpoint: ECR Public answers none), asked in us-east-1 although
// the spec names another region, once per sync.
func TestECRPublicAuthorizationToken(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &genv1alpha1.ECRAuthorizationToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "public"},
		Spec: genv1alpha1.ECRAuthorizationTokenSpec{Region: "eu-west-1", Scope: "public", Auth: awsCredentials(t, ns)}})
	before := len(ecrPublic.Issued())
	es := generatorES(ns, "public", genv1alpha1.ECRAuthorizationTokenKind, "public", time.Hour)
	create(t, es)
	data := secretData(t, ns, "public")
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	issued := ecrPublic.Issued()
	if len(issued) != before+1 {
		t.Fatalf("%d tokens issued for one sync, want 1", len(issued)-before)
	}
	login := issued[len(issued)-1]
	want := map[string]string{"username": login.User, "password": login.Password,
		"expires_at": strconv.FormatInt(login.ExpiresAt.Unix(), 10)}
	if len(data) != len(want) {
		t.Errorf("keys %v, want %v", keys(data), want)
	}
	for k, v := range want {
		if string(data[k]) != v {
			t.Errorf("%s = %q, want %q", k, data[k], v)
		}
	}
	if !strings.HasSuffix(login.Scope, "/us-east-1/ecr-public") {
		t.Errorf("request signed for %s, want us-east-1/ecr-public", login.Scope)
	}
	if strings.Contains(logs.String(), login.Password) {
		t.Error("the issued token reached the operator's logs")
	}
}

// TestECRPublicRefusal checks that ECR Public's refusal of a bad signature reaches the
// condition with its status and error code, and not the secret key.
func TestECRPublicRefusal(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	const wrongSecret = "not-the-secret-key-of-AKIAFERRYTEST"
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws-wrong"},
		Data: map[string][]byte{"id": []byte(awsTestKeyID), "secret": []byte(wrongSecret)}})
	create(t, &genv1alpha1.ECRAuthorizationToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "public"},
		Spec: genv1alpha1.ECRAuthorizationTokenSpec{Region: "us-east-1", Scope: "public", Auth: esv1.AWSAuth{
			SecretRef: &esv1.AWSAuthSecretRef{
				AccessKeyID:     esv1.SecretKeySelector{Name: "aws-wrong", Key: "id"},
				SecretAccessKey: esv1.SecretKeySelector{Name: "aws-wrong", Key: "secret"},
			}}}})
	es := generatorES(ns, "public", genv1alpha1.ECRAuthorizationTokenKind, "public", time.Hour)
	create(t, es)
	msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonSecretSyncedError)
	for _, want := range []string{"ECR Public GetAuthorizationToken", "403", "InvalidSignatureException"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, wrongSecret) || strings.Contains(logs.String(), wrongSecret) {
		t.Error("the secret key reached the condition or the logs")
	}
	assertNoSecret(t, ns, "public")
}
