package azurekv

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/provider"
)

// TestServiceBusFeedReceivesKeyVaultEvents: a store annotated with a Service Bus queue reads
// it with the store's own service principal (an Entra ID token for Service Bus), one
// message per receive, each Key Vault event under the names ExternalSecrets use (an event
// alone, an array of events, base64 encoded), pauses when the service answers at once with
// nothing, and reports a refusal by its status only.
func TestServiceBusFeedReceivesKeyVaultEvents(t *testing.T) {
	f := startAzure(t)
	store, kube := clientSecretStore(f)
	p := testProvider(f)
	ctx := context.Background()

	store.SetAnnotations(map[string]string{AnnotationServiceBusQueueURL: f.srv.URL + "/" + testBusQueue,
		AnnotationStorageQueueURL: f.srv.URL + "/" + testQueue})
	if _, err := p.NewChangeFeed(ctx, store, kube, "apps"); err == nil || !strings.Contains(err.Error(), "set one of them") {
		t.Errorf("both queues named = %v, want a refusal", err)
	}
	store.SetAnnotations(map[string]string{AnnotationServiceBusQueueURL: f.srv.URL + "/" + testBusQueue + "/messages"})
	if _, err := p.NewChangeFeed(ctx, store, kube, "apps"); err == nil || !strings.Contains(err.Error(), "NAMESPACE.servicebus.windows.net/QUEUE") {
		t.Errorf("a URL that is no queue = %v, want the form named", err)
	}
	store.SetAnnotations(map[string]string{AnnotationServiceBusQueueURL: f.srv.URL + "/" + testBusQueue})
	feed, err := p.NewChangeFeed(ctx, store, kube, "apps")
	if err != nil || feed == nil || feed.Source() != "azure-service-bus" {
		t.Fatalf("NewChangeFeed: %v, %v", feed, err)
	}

	f.send(`{"id":"1","subject":"db-password","eventType":"Microsoft.KeyVault.SecretNewVersionCreated",
		"eventTime":"2026-12-04T19:20:00.5Z","data":{"VaultName":"v","ObjectType":"Secret","ObjectName":"db-password","Version":"abc"}}`)
	f.send(`[{"eventType":"Microsoft.KeyVault.KeyNewVersionCreated","data":{"ObjectType":"Key","ObjectName":"signing"}},
		{"eventType":"Microsoft.KeyVault.SecretNewVersionCreated","data":{"ObjectType":"Secret","ObjectName":"api-token"}}]`)
	f.send(base64.StdEncoding.EncodeToString([]byte(`{"specversion":"1.0","type":"Microsoft.KeyVault.CertificateNewVersionCreated",
		"time":"2026-12-04T19:21:00Z","data":{"VaultName":"v","ObjectType":"Certificate","ObjectName":"tls"}}`)))
	f.send(`not an event`)
	var changes []provider.Change
	for range 4 {
		got, err := feed.Receive(ctx)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		changes = append(changes, got...)
	}
	keys, malformed := provider.ChangeKeys(changes)
	want := []string{"db-password", "secret/db-password", "signing", "key/signing", "api-token", "secret/api-token", "tls", "cert/tls"}
	if !slices.Equal(keys, want) || malformed != 1 {
		t.Errorf("keys %q, %d malformed; want %q and 1", keys, malformed, want)
	}
	if at := changes[0].At; !at.Equal(time.Date(2026, 12, 4, 19, 20, 0, 500000000, time.UTC)) {
		t.Errorf("change time = %v, want the event's eventTime", at)
	}
	f.mu.Lock()
	left, received := len(f.bus.messages), f.bus.receives
	f.mu.Unlock()
	if left != 0 || received != 4 {
		t.Errorf("%d messages left, %d received; want 0 and 4 (a receive deletes what it reads)", left, received)
	}

	// A message sent while a receive waits is returned by that receive.
	done := make(chan []provider.Change, 1)
	go func() {
		got, _ := feed.Receive(ctx)
		done <- got
	}()
	f.send(`{"data":{"ObjectType":"Secret","ObjectName":"late"}}`)
	if got, _ := provider.ChangeKeys(<-done); !slices.Equal(got, []string{"late", "secret/late"}) {
		t.Errorf("the waiting receive returned %q, want the message sent while it waited", got)
	}

	// An answer of nothing pauses for the rest of queueCadence, so the loop cannot spin
	// should the service not hold the request.
	bus := feed.(*serviceBusFeed)
	bus.wait = 0
	var paused time.Duration
	still := time.Now()
	bus.pace.Now = func() time.Time { return still }
	bus.pace.Pause = func(_ context.Context, d time.Duration) { paused += d }
	if changes, err := feed.Receive(ctx); err != nil || len(changes) != 0 || paused != queueCadence {
		t.Errorf("an empty queue: Receive = %v, %v after a pause of %v; want nothing after %v", changes, err, paused, queueCadence)
	}

	f.mu.Lock()
	f.bus.deny = true
	f.mu.Unlock()
	_, err = feed.Receive(ctx)
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "Listen") {
		t.Errorf("a refused receive = %v, want its status, not its detail", err)
	}
	f.mu.Lock()
	f.bus.deny = false
	f.mu.Unlock()
	bus.url = f.srv.URL + "/no-such-queue"
	if _, err := feed.Receive(ctx); err == nil || !strings.Contains(err.Error(), "410") {
		t.Errorf("a queue that does not exist = %v, want 410", err)
	}
}
