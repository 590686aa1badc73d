package security

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// The tokens of the two stores below: one long, one of three bytes. Neither is a value
// any ExternalSecret reads, so only the credentials the process remembers can redact them.
const (
	echoedLoginToken = "s.EchoedLoginToken7Qz"
	echoedShortToken = "Qz5"
)

// TestCredentialsEchoedByAStoreAreRedacted: a backend that repeats the token it was sent
// in its error (here a Vault-speaking HTTP server whose every refusal says "token <the
// X-Vault-Token header> is not valid") does not put that token in a store's condition, an
// ExternalSecret's condition or their events. The token is no value of any sync, so what
// redacts it is the record of credentials read from a store's auth Secrets
// (redact.RememberCredential in provider.SecretKeyValue): without that call both stores'
// messages carry the token and this test fails.
func TestCredentialsEchoedByAStoreAreRedacted(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("X-Vault-Token")
		if r.URL.Path == "/v1/auth/token/lookup-self" && token == echoedShortToken {
			// The short token's store validates; its reads are refused below.
			_, _ = fmt.Fprint(w, `{"data":{"policies":["default"]}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = fmt.Fprintf(w, `{"errors":["permission denied: token %s is not valid"]}`, token)
	}))
	t.Cleanup(echo.Close)

	ns := testenv.Namespace(t, k8s, nil)
	vaultStore := func(name, token string) *esv1.SecretStore {
		create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-token"},
			StringData: map[string]string{"token": token}})
		v2 := esv1.VaultKVStoreV2
		path := "secret"
		store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Vault: &esv1.VaultProvider{
				Server: echo.URL, Path: &path, Version: v2,
				Auth: &esv1.VaultAuth{TokenSecretRef: &esv1.SecretKeySelector{Name: name + "-token", Key: "token"}},
			}}}}
		create(t, store)
		return store
	}

	refused := vaultStore("refused", echoedLoginToken)
	storeMsg := waitStore(t, refused, metav1.ConditionFalse)
	if !strings.Contains(storeMsg, "token [redacted] is not valid") {
		t.Errorf("store condition = %q, want the backend's refusal with the token redacted", storeMsg)
	}

	reads := vaultStore("reads", echoedShortToken)
	waitStore(t, reads, metav1.ConditionTrue)
	create(t, externalSecret(ns, "db", esv1.SecretStoreRef{Name: "reads"}, "db"))
	esMsg := waitFailed(t, ns, "db")
	if !strings.Contains(esMsg, "token [redacted] is not valid") {
		t.Errorf("ExternalSecret condition = %q, want the backend's refusal with the token redacted", esMsg)
	}
	assertNoSecret(t, ns, "db")

	var notes []string
	testenv.Eventually(t, 10*time.Second, "the Warning events of the store and the ExternalSecret", func() (bool, error) {
		var events eventsv1.EventList
		if err := k8s.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
			return false, err
		}
		notes = notes[:0]
		kinds := map[string]bool{}
		for _, e := range events.Items {
			notes = append(notes, e.Note)
			kinds[e.Regarding.Kind] = true
		}
		return kinds[esv1.SecretStoreKind] && kinds[esv1.ExtSecretKind], nil
	})
	for _, text := range append(notes, storeMsg, esMsg) {
		if strings.Contains(text, echoedLoginToken) || containsWord(text, echoedShortToken) {
			t.Errorf("a store's token reached a message: %q", text)
		}
	}
}

// containsWord says whether word stands on its own in text, not inside a longer word.
func containsWord(text, word string) bool {
	return slices.Contains(strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), word)
}
