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

// TestStorageQueueFeedReceivesKeyVaultEvents: a store annotated with a Storage queue reads
// it with the store's own service principal (an Entra ID token for Azure Storage), returns
// each Key Vault event's object under the names ExternalSecrets use, deletes what it
// received, pauses when the queue is empty, and reports a refusal by status and code only.
func TestStorageQueueFeedReceivesKeyVaultEvents(t *testing.T) {
	f := startAzure(t)
	store, kube := clientSecretStore(f)
	p := testProvider(f)
	ctx := context.Background()

	if feed, err := p.NewChangeFeed(ctx, store, kube, "apps"); feed != nil || err != nil {
		t.Fatalf("a store without the annotation has a feed: %v, %v", feed, err)
	}
	store.SetAnnotations(map[string]string{AnnotationStorageQueueURL: f.srv.URL + "/" + testQueue + "/extra"})
	if _, err := p.NewChangeFeed(ctx, store, kube, "apps"); err == nil || !strings.Contains(err.Error(), "ACCOUNT.queue.core.windows.net/QUEUE") {
		t.Errorf("a URL that is no queue = %v, want the form named", err)
	}
	store.SetAnnotations(map[string]string{AnnotationStorageQueueURL: f.srv.URL + "/" + testQueue})
	feed, err := p.NewChangeFeed(ctx, store, kube, "apps")
	if err != nil || feed == nil {
		t.Fatalf("NewChangeFeed: %v, %v", feed, err)
	}

	// Event Grid schema, as delivered (JSON), and CloudEvents base64 encoded.
	f.enqueue(`{"id":"1","topic":"/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v","subject":"db-password",
		"eventType":"Microsoft.KeyVault.SecretNewVersionCreated","eventTime":"2026-12-04T19:20:00.5Z","dataVersion":"1",
		"data":{"Id":"https://v.vault.azure.net/secrets/db-password/abc","VaultName":"v","ObjectType":"Secret","ObjectName":"db-password","Version":"abc"}}`)
	f.enqueue(base64.StdEncoding.EncodeToString([]byte(`{"specversion":"1.0","type":"Microsoft.KeyVault.CertificateNewVersionCreated",
		"time":"2026-12-04T19:21:00Z","data":{"VaultName":"v","ObjectType":"Certificate","ObjectName":"tls"}}`)))
	f.enqueue(`not an event`)
	changes, err := feed.Receive(ctx)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	keys, malformed := provider.ChangeKeys(changes)
	if want := []string{"db-password", "secret/db-password", "tls", "cert/tls"}; !slices.Equal(keys, want) || malformed != 1 {
		t.Errorf("keys %q, %d malformed; want %q and 1", keys, malformed, want)
	}
	if at := changes[0].At; !at.Equal(time.Date(2026, 12, 4, 19, 20, 0, 500000000, time.UTC)) {
		t.Errorf("change time = %v, want the event's eventTime", at)
	}
	f.mu.Lock()
	left, undeleted := len(f.queue.messages), len(f.queue.receipts)
	f.mu.Unlock()
	if left != 0 || undeleted != 0 {
		t.Errorf("%d messages left and %d received but not deleted; want 0 and 0", left, undeleted)
	}

	// An empty queue pauses for the rest of queueCadence, so the feed's loop cannot spin.
	var paused time.Duration
	still := time.Now()
	feed.(*queueFeed).pace.Now = func() time.Time { return still }
	feed.(*queueFeed).pace.Pause = func(_ context.Context, d time.Duration) { paused += d }
	if changes, err := feed.Receive(ctx); err != nil || len(changes) != 0 || paused != queueCadence {
		t.Errorf("an empty queue: Receive = %v, %v after a pause of %v; want nothing after %v", changes, err, paused, queueCadence)
	}

	f.mu.Lock()
	f.queue.deny = true
	f.mu.Unlock()
	_, err = feed.Receive(ctx)
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "AuthorizationPermissionMismatch") ||
		strings.Contains(err.Error(), "the request was refused") {
		t.Errorf("a refused receive = %v, want its status and code, not its message", err)
	}
}
