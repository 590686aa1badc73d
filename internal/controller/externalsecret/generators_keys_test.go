package externalsecret_test

import (
	"encoding/base32"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestSSHKeyGenerator checks that an SSHKey generator writes a matching OpenSSH key pair.
func TestSSHKeyGenerator(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &genv1alpha1.SSHKey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "deploy"},
		Spec: genv1alpha1.SSHKeySpec{KeyType: "ed25519", Comment: "deploy@ci"}})
	es := generatorES(ns, "deploy", genv1alpha1.SSHKeyKind, "deploy", time.Hour)
	create(t, es)
	public := secretValue(t, ns, "deploy", "publicKey")
	private := secretValue(t, ns, "deploy", "privateKey")
	signer, err := ssh.ParsePrivateKey([]byte(private))
	if err != nil {
		t.Fatalf("privateKey is not an OpenSSH private key: %v", err)
	}
	key, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(public))
	if err != nil {
		t.Fatal(err)
	}
	if key.Type() != ssh.KeyAlgoED25519 || comment != "deploy@ci" ||
		string(key.Marshal()) != string(signer.PublicKey().Marshal()) {
		t.Errorf("publicKey %q is not the ed25519 public key of privateKey with the comment", public)
	}
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
}

// TestMFAGenerator checks the TOTP code written for a fixed instant (RFC 6238's SHA-1
// vector at 1111111111 s, cut to 6 digits), and that a ClusterGenerator cannot read a seed
// in another namespace.
func TestMFAGenerator(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	seed := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "totp"},
		Data: map[string][]byte{"seed": []byte(seed)}})
	when := metav1.NewTime(time.Unix(1111111111, 0))
	create(t, &genv1alpha1.MFA{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "login"},
		Spec: genv1alpha1.MFASpec{Secret: esv1.SecretKeySelector{Name: "totp", Key: "seed"}, When: &when}})
	es := generatorES(ns, "login", genv1alpha1.MFAKind, "login", time.Hour)
	create(t, es)
	waitSecretData(t, ns, "login", map[string]string{"token": "050471", "timeLeft": "29"})

	other := testenv.Namespace(t, k8s, nil)
	name := "mfa-" + other
	cluster := &genv1alpha1.ClusterGenerator{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: genv1alpha1.ClusterGeneratorSpec{Kind: genv1alpha1.MFAKind, Generator: genv1alpha1.GeneratorSpec{
			MFASpec: &genv1alpha1.MFASpec{Secret: esv1.SecretKeySelector{Name: "totp", Key: "seed", Namespace: &ns}}}}}
	create(t, cluster)
	t.Cleanup(func() { _ = k8s.Delete(t.Context(), cluster) })
	stolen := generatorES(other, "stolen", genv1alpha1.ClusterGeneratorKind, name, time.Hour)
	create(t, stolen)
	msg := waitReady(t, stolen, corev1.ConditionFalse, esv1.ReasonInvalidSpec)
	if !strings.Contains(msg, "reads Secrets only in the namespace of the ExternalSecret") {
		t.Errorf("message %q does not say why", msg)
	}
	assertNoSecret(t, other, "stolen")
}

// TestWebhookGenerator checks that a Webhook generator calls the endpoint with its
// templated headers and body, and writes each field of the selected JSON object.
func TestWebhookGenerator(t *testing.T) {
	calls := make(chan string, 10)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		calls <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Authorization") + " " + body["team"]
		if r.Header.Get("Authorization") != "Bearer s3cr3t-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"credentials": {"username": "app-7", "password": "p@ss", "port": 5432}}`))
	}))
	defer server.Close()
	ns := testenv.Namespace(t, k8s, nil)
	// Labelled as ESO requires: a Secret lent to webhooks (security.md, GHSA-q7hv-xx6h-q2x8).
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hook",
		Labels: map[string]string{"external-secrets.io/type": "webhook"}},
		Data: map[string][]byte{"token": []byte("s3cr3t-token")}})
	create(t, &genv1alpha1.Webhook{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"},
		Spec: genv1alpha1.WebhookSpec{
			Method: "POST", URL: server.URL + "/issue",
			Headers: map[string]string{"Authorization": "Bearer {{ .auth.token }}"},
			Body:    `{"team": "payments"}`,
			Result:  esv1.WebhookResult{JSONPath: "$.credentials"},
			Secrets: []genv1alpha1.WebhookSecret{{Name: "auth", SecretRef: genv1alpha1.LocalSecretKeySelector{Name: "hook", Key: "token"}}},
		}})
	es := generatorES(ns, "db", genv1alpha1.WebhookKind, "db", time.Hour)
	create(t, es)
	waitSecretData(t, ns, "db", map[string]string{"username": "app-7", "password": "p@ss", "port": "5432"})
	if call := <-calls; call != "POST /issue Bearer s3cr3t-token payments" {
		t.Errorf("the endpoint got %q", call)
	}
}
