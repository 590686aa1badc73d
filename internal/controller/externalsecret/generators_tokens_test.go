package externalsecret_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

// TestGithubAccessTokenGenerator checks that the Secret holds exactly the installation
// token that a server speaking GitHub's App API issued, and that a forced sync gets a new
// one.
func TestGithubAccessTokenGenerator(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	server := tokenapi.NewGitHub("123", "456", &key.PublicKey, "app")
	defer server.Close()
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gh-app"}, Data: map[string][]byte{
		"key.pem": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})}})
	create(t, &genv1alpha1.GithubAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ci"},
		Spec: genv1alpha1.GithubAccessTokenSpec{URL: server.URL, AppID: "123", InstallID: "456",
			Repositories: []string{"app"}, Permissions: map[string]string{"contents": "read"},
			Auth: genv1alpha1.GithubAuth{PrivateKey: genv1alpha1.GithubSecretRef{
				SecretRef: esv1.SecretKeySelector{Name: "gh-app", Key: "key.pem"}}}}})
	es := generatorES(ns, "ci", genv1alpha1.GithubAccessTokenKind, "ci", time.Hour)
	create(t, es)
	first := secretValue(t, ns, "ci", "token")
	issued := server.Issued()
	if len(issued) != 1 || first != issued[0].Token {
		t.Fatalf("the Secret's token is not the one token issued (%d issued)", len(issued))
	}
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)

	update(t, es, func(es *esv1.ExternalSecret) { es.Annotations = map[string]string{"force-sync": "1"} })
	second := waitValueChange(t, ns, "ci", "token", first)
	if issued = server.Issued(); len(issued) != 2 || second != issued[1].Token {
		t.Errorf("after a forced sync the Secret does not hold the second token issued (%d issued)", len(issued))
	}
}
