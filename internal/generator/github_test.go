package generator

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

func rsaKeyPEM(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

func githubSpec(url string) *genv1alpha1.GeneratorSpec {
	return &genv1alpha1.GeneratorSpec{GithubAccessTokenSpec: &genv1alpha1.GithubAccessTokenSpec{
		URL: url, AppID: "123", InstallID: "456",
		Auth: genv1alpha1.GithubAuth{PrivateKey: genv1alpha1.GithubSecretRef{
			SecretRef: esv1.SecretKeySelector{Name: "app", Key: "key.pem"}}},
	}}
}

// TestGithubAccessToken exchanges an App JWT for an installation token at a server that
// checks the JWT as GitHub does, narrowed to repositories and permissions.
func TestGithubAccessToken(t *testing.T) {
	key, keyPEM := rsaKeyPEM(t)
	server := tokenapi.NewGitHub("123", "456", &key.PublicKey, "app", "lib")
	defer server.Close()
	kube := kubeWithSecrets(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "app"},
		Data: map[string][]byte{"key.pem": keyPEM}})
	spec := githubSpec(server.URL + "/")
	spec.GithubAccessTokenSpec.Repositories = []string{"app"}
	spec.GithubAccessTokenSpec.Permissions = map[string]string{"contents": "read"}
	got, err := NewGithubAccessToken().Generate(context.Background(), spec, kube, "team")
	if err != nil {
		t.Fatal(err)
	}
	issued := server.Issued()
	if len(issued) != 1 || string(got["token"]) != issued[0].Token || len(got) != 1 {
		t.Fatalf("got keys %v, want exactly the one token the server issued", keysOf(got))
	}
	if !reflect.DeepEqual(issued[0].Repositories, []string{"app"}) ||
		!reflect.DeepEqual(issued[0].Permissions, map[string]string{"contents": "read"}) {
		t.Errorf("the server was asked for %v %v", issued[0].Repositories, issued[0].Permissions)
	}
}

// TestGithubAccessTokenRefusals covers GitHub's refusals and Ferry's own.
func TestGithubAccessTokenRefusals(t *testing.T) {
	key, keyPEM := rsaKeyPEM(t)
	_, otherPEM := rsaKeyPEM(t)
	server := tokenapi.NewGitHub("123", "456", &key.PublicKey, "app")
	defer server.Close()
	kube := kubeWithSecrets(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "app"},
		Data: map[string][]byte{"key.pem": keyPEM, "other.pem": otherPEM, "junk": []byte("not a key")}})
	tests := []struct {
		name    string
		mutate  func(*genv1alpha1.GithubAccessTokenSpec)
		class   error
		message string
	}{
		{"key of another App", func(s *genv1alpha1.GithubAccessTokenSpec) { s.Auth.PrivateKey.SecretRef.Key = "other.pem" },
			nil, "answered 401 Unauthorized: A JSON web token could not be decoded"},
		{"unknown installation", func(s *genv1alpha1.GithubAccessTokenSpec) { s.InstallID = "999" },
			nil, "answered 404 Not Found"},
		{"repository not installed", func(s *genv1alpha1.GithubAccessTokenSpec) { s.Repositories = []string{"secret-repo"} },
			nil, "answered 422 Unprocessable Entity: There is at least one repository"},
		{"not a key", func(s *genv1alpha1.GithubAccessTokenSpec) { s.Auth.PrivateKey.SecretRef.Key = "junk" },
			ErrInvalidSpec, "spec.auth.privateKey.secretRef: not a PEM private key"},
		{"key in another namespace", func(s *genv1alpha1.GithubAccessTokenSpec) { s.Auth.PrivateKey.SecretRef.Namespace = ptr("other") },
			ErrInvalidSpec, "reads Secrets only in the namespace"},
		{"url", func(s *genv1alpha1.GithubAccessTokenSpec) { s.URL = "ftp://x" }, ErrInvalidSpec, `spec.url: "ftp://x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := githubSpec(server.URL)
			tt.mutate(spec.GithubAccessTokenSpec)
			_, err := NewGithubAccessToken().Generate(context.Background(), spec, kube, "team")
			if err == nil || !strings.Contains(err.Error(), tt.message) || (tt.class != nil) != errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("error %v, want one with %q (invalid spec: %v)", err, tt.message, tt.class != nil)
			}
		})
	}
	if n := len(server.Issued()); n != 0 {
		t.Errorf("%d tokens issued", n)
	}
}

// TestGithubAppJWTLifetime checks the claims against GitHub's limits: issued in the past,
// expiring within ten minutes.
func TestGithubAppJWTLifetime(t *testing.T) {
	key, _ := rsaKeyPEM(t)
	now := time.Unix(1700000000, 0)
	token, err := githubAppJWT(key, "123", now)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	var claims struct {
		Iat, Exp int64
		Iss      string
	}
	if len(parts) != 3 || decodeJWTPart(parts[1], &claims) != nil {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	if claims.Iss != "123" || claims.Iat != now.Unix()-60 || claims.Exp-now.Unix() > 600 || claims.Exp <= now.Unix() {
		t.Errorf("claims %+v", claims)
	}
}

func decodeJWTPart(part string, into any) error {
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}
