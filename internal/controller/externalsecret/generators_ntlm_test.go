package externalsecret_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/provider/webhook/ntlm/ntlmfake"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestWebhookGeneratorNTLM checks that a Webhook generator with auth.ntlm reads the user
// name and password from labelled Secrets of the ExternalSecret's namespace, POSTs its
// body through an NTLM handshake the server verifies, and writes each field of the answer;
// with a wrong password the ExternalSecret is not synced, and its condition says the
// credentials were refused without quoting them.
func TestWebhookGeneratorNTLM(t *testing.T) {
	account := ntlmfake.Account{Domain: "CORP", User: "svc-issuer", Password: "ntlm-generator-pw"}
	issuer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"credentials": {"username": "app-7", "team": "` + body["team"] + `"}}`))
	})
	guard := ntlmfake.New(account, issuer, ntlmfake.PerRequest())
	server := httptest.NewServer(guard)
	defer server.Close()
	ns := testenv.Namespace(t, k8s, nil)
	for name, password := range map[string]string{"ntlm": account.Password, "wrong": "not-the-password"} {
		create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Labels: map[string]string{"external-secrets.io/type": "webhook"}},
			Data: map[string][]byte{"username": []byte(`CORP\svc-issuer`), "password": []byte(password)}})
		create(t, &genv1alpha1.Webhook{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: genv1alpha1.WebhookSpec{
				Method: "POST", URL: server.URL + "/issue", Body: `{"team": "payments"}`,
				Result: esv1.WebhookResult{JSONPath: "$.credentials"},
				Auth: &esv1.WebhookAuth{NTLM: &esv1.NTLMProtocol{
					UserName: esv1.SecretKeySelector{Name: name, Key: "username"},
					Password: esv1.SecretKeySelector{Name: name, Key: "password"}}},
			}})
	}
	es := generatorES(ns, "db", genv1alpha1.WebhookKind, "ntlm", time.Hour)
	create(t, es)
	waitSecretData(t, ns, "db", map[string]string{"username": "app-7", "team": "payments"})
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	ex := guard.Exchanges()
	if len(ex) < 3 || ex[1].Message != 1 || ex[2].Message != 3 || !ex[2].Passed || ex[1].RemoteAddr != ex[2].RemoteAddr {
		t.Errorf("exchanges %+v, want a NEGOTIATE and an AUTHENTICATE that passed on one connection", ex)
	}

	refused := generatorES(ns, "refused", genv1alpha1.WebhookKind, "wrong", time.Hour)
	create(t, refused)
	msg := waitReady(t, refused, corev1.ConditionFalse, esv1.ReasonSecretSyncedError)
	if !strings.Contains(msg, "refused the NTLM credentials") || strings.Contains(msg, "not-the-password") {
		t.Errorf("the refused ExternalSecret says %q, want the refusal without the password", msg)
	}
	assertNoSecret(t, ns, "refused")
}
