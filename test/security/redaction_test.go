package security

import (
	"context"
	"strings"
	"testing"
	"time"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestProviderErrorsAreRedacted: a provider error that quotes a value the sync has read
// reaches the condition and the event as [redacted].
func TestProviderErrorsAreRedacted(t *testing.T) {
	const value = "hunter2-very-secret-value"
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", nil, "password", value)
	es := externalSecret(ns, "echo", esv1.SecretStoreRef{Name: "store"}, "password")
	es.Spec.Data = append(es.Spec.Data, esv1.ExternalSecretData{SecretKey: "echoed", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "echo:password"}})
	create(t, es)
	msg := waitFailed(t, ns, "echo")
	if !strings.Contains(msg, "the backend refused [redacted]") {
		t.Errorf("condition = %q, want the provider's message with the value redacted", msg)
	}
	var notes []string
	testenv.Eventually(t, 10*time.Second, "a Warning event", func() (bool, error) {
		var events eventsv1.EventList
		if err := k8s.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
			return false, err
		}
		notes = notes[:0]
		for _, e := range events.Items {
			notes = append(notes, e.Note)
		}
		return len(notes) > 0, nil
	})
	for _, note := range append(notes, msg) {
		if strings.Contains(note, value) {
			t.Errorf("the value reached a message: %q", note)
		}
	}
}

// TestShortValuesInProviderErrorsAreRedacted: values of one to five bytes (a symbol, two
// letters, four digits) are redacted from a provider's error too. Marking provider errors
// (redact.Foreign in providerFailure) is what does it: without the mark this test fails.
func TestShortValuesInProviderErrorsAreRedacted(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	values := map[string]string{"snow": "☃", "ab": "ab", "pin": "4711"}
	var kv []string
	for k, v := range values {
		kv = append(kv, k, v)
	}
	fakeStore(t, ns, "store", nil, kv...)
	for key := range values {
		name := "echo-" + key
		es := externalSecret(ns, name, esv1.SecretStoreRef{Name: "store"}, key)
		es.Spec.Data = append(es.Spec.Data, esv1.ExternalSecretData{SecretKey: "ab", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "echo:" + key}})
		create(t, es)
		msg := waitFailed(t, ns, name)
		want := `spec.data[1]: the backend refused [redacted]`
		if !strings.Contains(msg, want) {
			t.Errorf("%s: condition = %q, want %q", name, msg, want)
		}
	}
}
