package webhook

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider/webhook/ntlm/ntlmfake"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestNTLMThroughTheOperator runs webhook SecretStores with auth.ntlm through a Ferry
// operator on a real kube-apiserver, against an NTLM server that verifies each handshake:
// the ExternalSecret over the store with the right password becomes Ready with the bytes
// in its Secret, a PushSecret's value reaches the endpoint, and the ExternalSecret over
// the store with a wrong password is not synced, its condition saying the credentials were
// refused without quoting them.
func TestNTLMThroughTheOperator(t *testing.T) {
	t.Parallel()
	k8s := controlPlane.Client
	ns := testenv.Namespace(t, k8s, nil)
	api := newKeyValueAPI(map[string]string{"db/password": "s3cr3t-db-value"})
	_, srv := startNTLM(t, api, ntlmfake.PerRequest())
	ntlmSecret(t, ns, "ntlm", `CORP\svc-ferry`, ntlmAccount.Password, true)
	ntlmSecret(t, ns, "wrong", `CORP\svc-ferry`, "not-the-password", true)
	for _, store := range []*esv1.SecretStore{ntlmStore(ns, srv.URL, "ntlm"), ntlmStore(ns, srv.URL, "wrong"), ntlmPushStore(ns, srv.URL, "ntlm")} {
		operatortest.Create(t, k8s, store)
		operatortest.WaitReady(t, k8s, store, metav1.ConditionTrue)
	}
	read := func(name, store string) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: esv1.ExternalSecretSpec{
			SecretStoreRef: esv1.SecretStoreRef{Name: store, Kind: esv1.SecretStoreKind}, RefreshInterval: esv1.NewDuration(time.Hour),
			Data: []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db/password"}}}}}
	}
	es := read("db", "ntlm-ntlm")
	operatortest.Create(t, k8s, es)
	operatortest.WaitSecretData(t, k8s, ns, "db", map[string]string{"password": "s3cr3t-db-value"})
	operatortest.WaitReady(t, k8s, es, metav1.ConditionTrue)

	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("pushed-through-ntlm")}})
	push := operatortest.PushSecret(ns, "token", "ntlm-push-ntlm", "source", "token", "app/token")
	operatortest.Create(t, k8s, push)
	operatortest.WaitReady(t, k8s, push, metav1.ConditionTrue)
	if got := api.value("app/token"); got != "pushed-through-ntlm" {
		t.Errorf("the endpoint holds %q, want the pushed value", got)
	}

	c := operatortest.WaitNotSynced(t, k8s, read("refused", "ntlm-wrong"))
	if !strings.Contains(c.Message, "refused the NTLM credentials") || strings.Contains(c.Message, "not-the-password") {
		t.Errorf("the refused ExternalSecret says %q, want the refusal without the password", c.Message)
	}
}
