package vault

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// feedToken is the token the stand-in lets subscribe.
const feedToken = "hvs.feed-token"

// eventsStore is a KV v2 store of mount secret in Vault namespace team-a, at the stand-in,
// with a token read from a Secret in ns and the feed annotation.
func eventsStore(t *testing.T, s *eventsServer, ns, token, eventType string) *esv1.SecretStore {
	t.Helper()
	secret := "token-" + token // one Secret a token, so a test may build stores of several
	if err := controlPlane.Client.Get(testContext(t), client.ObjectKey{Namespace: ns, Name: secret}, &corev1.Secret{}); err != nil {
		kubeSecret(t, ns, secret, map[string]string{"token": token})
	}
	store := secretStore(ns, esv1.VaultProvider{Server: s.srv.URL, Path: ptr("secret"), Version: esv1.VaultKVStoreV2,
		Namespace: ptr("team-a"), Auth: &esv1.VaultAuth{TokenSecretRef: &esv1.SecretKeySelector{Name: secret, Key: "token"}}})
	store.Annotations = map[string]string{AnnotationEventType: eventType}
	return store
}

// receiveAll receives until n changes came, or fails.
func receiveAll(t *testing.T, feed provider.ChangeFeed, n int) []provider.Change {
	t.Helper()
	ctx := testContext(t)
	var changes []provider.Change
	for len(changes) < n {
		got, err := feed.Receive(ctx)
		if err != nil {
			t.Fatalf("Receive after %d changes: %v", len(changes), err)
		}
		changes = append(changes, got...)
	}
	return changes
}

// TestVaultEventsFeedReceives: a store annotated with an event type subscribes to Vault's
// event notifications as Vault documents it (the WebSocket of that type, JSON, the store's
// token and namespace); each event comes back under the keys the store's ExternalSecrets
// write, in batches of what arrived; messages that are no JSON event are counted as
// malformed; a subscription the server ends makes the feed fail, and the next Receive
// subscribes again; a quiet subscription returns nothing after its wait.
func TestVaultEventsFeedReceives(t *testing.T) {
	t.Parallel()
	s := startEventsServer(t, "", feedToken)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	ctx := testContext(t)

	store := eventsStore(t, s, ns, feedToken, "kv-v2/*")
	store.Annotations[AnnotationEventType] = "kv-v2/*?json=false"
	if _, err := New().(*Provider).NewChangeFeed(ctx, store, controlPlane.Client, ns); err == nil || !strings.Contains(err.Error(), "such as kv-v2/*") {
		t.Errorf("an event type that would change the URL = %v, want a refusal naming the form", err)
	}
	delete(store.Annotations, AnnotationEventType)
	if feed, err := New().(*Provider).NewChangeFeed(ctx, store, controlPlane.Client, ns); feed != nil || err != nil {
		t.Errorf("a store without the annotation has feed %v, %v; want none", feed, err)
	}
	store.Annotations[AnnotationEventType] = "kv-v2/*"
	feed, err := New().(*Provider).NewChangeFeed(ctx, store, controlPlane.Client, ns)
	if err != nil || feed == nil || feed.Source() != "vault-events" {
		t.Fatalf("NewChangeFeed = %v, %v", feed, err)
	}

	if changes, err := feed.Receive(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("the first Receive (subscribing) = %v, %v", changes, err)
	}
	s.waitSubscribers(t, 1)
	reqs := s.subscriptionRequests()
	r := reqs[0]
	if r.URL.Path != "/v1/sys/events/subscribe/kv-v2/*" || r.URL.Query().Get("json") != "true" ||
		r.Header.Get("X-Vault-Token") != feedToken || r.Header.Get("X-Vault-Namespace") != "team-a" {
		t.Errorf("subscription request %s, token %q, namespace %q; want the kv-v2/* WebSocket in JSON with the store's token and namespace",
			r.URL, r.Header.Get("X-Vault-Token"), r.Header.Get("X-Vault-Namespace"))
	}

	at := time.Now().UTC().Truncate(time.Millisecond)
	s.publish(t, "team-a", "kv-v2/data-write", kvEvent("kv-v2/data-write", "secret", "app/db", at))
	s.publish(t, "other-team", "kv-v2/data-write", kvEvent("kv-v2/data-write", "secret", "theirs", at))
	s.publish(t, "team-a", "kv-v2/metadata-delete", kvEvent("kv-v2/metadata-delete", "secret", "old", at))
	s.publish(t, "team-a", "kv-v2/data-write", kvEvent("kv-v2/data-write", "other-mount", "app", at))
	s.publishRaw(websocket.MessageText, `{"not":"an event"`)
	s.publishRaw(websocket.MessageBinary, "\x0a\x01")
	changes := receiveAll(t, feed, 5)
	keys, malformed := provider.ChangeKeys(changes)
	want := []string{"app/db", "secret/app/db", "secret/data/app/db", "old", "secret/old", "secret/data/old"}
	if !slices.Equal(keys, want) || malformed != 2 || len(changes) != 5 {
		t.Errorf("%d changes, keys %q, %d malformed; want 5 changes, keys %q and 2 malformed", len(changes), keys, malformed, want)
	}
	if !changes[0].At.Equal(at) {
		t.Errorf("change time %v, want the event's %v", changes[0].At, at)
	}

	// What arrived while nothing received comes back in one batch.
	ef := feed.(*eventsFeed)
	for _, name := range []string{"a", "b", "c"} {
		s.publish(t, "team-a", "kv-v2/data-write", kvEvent("kv-v2/data-write", "secret", name, at))
	}
	testenv.Eventually(t, 10*time.Second, "three events buffered", func() (bool, error) { return len(ef.sub.messages) == 3, nil })
	if batch, err := feed.Receive(ctx); err != nil || len(batch) != 3 {
		t.Errorf("Receive with three events waiting = %d changes, %v; want one batch of 3", len(batch), err)
	}

	ef.wait = 50 * time.Millisecond
	if changes, err := feed.Receive(ctx); err != nil || len(changes) != 0 {
		t.Errorf("a quiet subscription: Receive = %v, %v; want nothing and no error", changes, err)
	}

	s.closeAll()
	if _, err := feed.Receive(ctx); err == nil || !strings.Contains(err.Error(), "subscription to kv-v2/* events ended") {
		t.Errorf("Receive after the server closed the subscription = %v, want the feed down", err)
	}
	if changes, err := feed.Receive(ctx); err != nil || len(changes) != 0 {
		t.Fatalf("the Receive after the failure (subscribing again) = %v, %v", changes, err)
	}
	s.waitSubscribers(t, 1)
	s.publish(t, "team-a", "kv-v2/data-write", kvEvent("kv-v2/data-write", "secret", "after", at))
	ef.wait = eventsWait
	if keys, _ := provider.ChangeKeys(receiveAll(t, feed, 1)); !slices.Equal(keys, []string{"after", "secret/after", "secret/data/after"}) {
		t.Errorf("after subscribing again: keys %q", keys)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := feed.Receive(cancelled); err == nil {
		t.Error("Receive with a cancelled context returned no error")
	}
	if ef.sub != nil {
		t.Error("the subscription outlived the context of its Receive")
	}
}

// TestVaultEventsFeedRefusals: a token the server refuses, and a server without event
// notifications, make the feed fail with what the user must do, never with the token.
func TestVaultEventsFeedRefusals(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	ctx := testContext(t)

	s := startEventsServer(t, "", feedToken)
	store := eventsStore(t, s, ns, "hvs.no-subscribe-right", "kv-v2/*")
	feed, err := New().(*Provider).NewChangeFeed(ctx, store, controlPlane.Client, ns)
	if err != nil {
		t.Fatal(err)
	}
	_, err = feed.Receive(ctx)
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "read capability on sys/events/subscribe/kv-v2/*") ||
		!strings.Contains(err.Error(), "subscribe_event_types") || strings.Contains(err.Error(), "no-subscribe-right") {
		t.Errorf("a refused subscription = %v, want 403 and the capabilities needed, without the token", err)
	}

	s.mu.Lock()
	s.disabled = true
	s.mu.Unlock()
	store = eventsStore(t, s, ns, feedToken, "kv-v2/*")
	store.Name = "community"
	feed, err = New().(*Provider).NewChangeFeed(ctx, store, controlPlane.Client, ns)
	if err != nil {
		t.Fatal(err)
	}
	_, err = feed.Receive(ctx)
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "this Vault server does not serve event notifications") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("a server without events = %q, want 404 and the explanation on one line", err)
	}

	bao := openBaoStore(ns, esv1.OpenBaoProvider{Server: s.srv.URL, Path: "secret",
		Auth: &esv1.OpenBaoAuth{TokenSecretRef: store.Spec.Provider.Vault.Auth.TokenSecretRef}})
	bao.Annotations = map[string]string{AnnotationEventType: "kv-v2/*"}
	feed, err = NewOpenBao().(*OpenBaoProvider).NewChangeFeed(ctx, bao, controlPlane.Client, ns)
	if err != nil || feed.Source() != "openbao-events" {
		t.Fatalf("OpenBao NewChangeFeed = %v, %v", feed, err)
	}
	if _, err = feed.Receive(ctx); err == nil || !strings.Contains(err.Error(), "this OpenBao server does not serve event notifications") {
		t.Errorf("an OpenBao server without events = %v, want the OpenBao explanation", err)
	}
}

// TestVaultEventsFeedNewToken: when the store's token cannot be renewed and a login replaces
// it, the feed subscribes with the new token before it closes the old subscription, and
// returns what the old one still held, so no event falls between the two.
func TestVaultEventsFeedNewToken(t *testing.T) {
	t.Parallel()
	s := startEventsServer(t, "", "hvs.first", "hvs.second")
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	ctx := testContext(t)
	feed, err := New().(*Provider).NewChangeFeed(ctx, eventsStore(t, s, ns, "hvs.first", "kv-v2/*"), controlPlane.Client, ns)
	if err != nil {
		t.Fatal(err)
	}
	ef := feed.(*eventsFeed)
	clock := time.Now()
	logins := []string{"hvs.first", "hvs.second"}
	ef.conn.tokens = &tokenSource{now: func() time.Time { return clock }, login: func(context.Context) (*authResponse, error) {
		token := logins[0]
		logins = logins[1:]
		return &authResponse{ClientToken: token, LeaseDuration: 60}, nil
	}}

	if _, err := feed.Receive(ctx); err != nil {
		t.Fatalf("subscribing: %v", err)
	}
	s.waitSubscribers(t, 1)
	at := time.Now()
	s.publish(t, "team-a", "kv-v2/data-write", kvEvent("kv-v2/data-write", "secret", "before", at))
	testenv.Eventually(t, 10*time.Second, "the event buffered", func() (bool, error) { return len(ef.sub.messages) == 1, nil })

	clock = clock.Add(2 * time.Minute) // past the TTL of a token that is not renewable
	changes, err := feed.Receive(ctx)
	if keys, _ := provider.ChangeKeys(changes); err != nil || !slices.Equal(keys, []string{"before", "secret/before", "secret/data/before"}) {
		t.Errorf("the Receive that changed the token = %q, %v; want what the old subscription held", keys, err)
	}
	reqs := s.subscriptionRequests()
	if len(reqs) != 2 || reqs[1].Header.Get("X-Vault-Token") != "hvs.second" {
		t.Fatalf("%d subscription requests; want a second one with the new token", len(reqs))
	}
	// The stand-in records a request before it accepts the WebSocket: publish once the new
	// subscription is open (the closed one stays listed).
	s.waitSubscribers(t, 2)
	s.publish(t, "team-a", "kv-v2/data-write", kvEvent("kv-v2/data-write", "secret", "after", at))
	if keys, _ := provider.ChangeKeys(receiveAll(t, feed, 1)); !slices.Equal(keys, []string{"after", "secret/after", "secret/data/after"}) {
		t.Errorf("on the new subscription: keys %q", keys)
	}
}
