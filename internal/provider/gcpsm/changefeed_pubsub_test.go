package gcpsm

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// fakePubSub is an in-process Google endpoint, written from Google's public references:
// the OAuth 2.0 token endpoint of service accounts (a JWT bearer grant, RS256-signed with
// the key, aud the token URI) and Pub/Sub's REST subscriber methods
// (POST /v1/{subscription}:pull with maxMessages, answering receivedMessages of ackId and
// message; POST /v1/{subscription}:acknowledge with ackIds; errors as
// {"error":{"code","message","status"}}).
type fakePubSub struct {
	srv          *httptest.Server
	key          *rsa.PrivateKey
	subscription string

	mu      sync.Mutex
	queue   []fakeMessage
	unacked map[string]fakeMessage
	tokens  int // access tokens issued
	pulls   int
	deny    bool // answer every pull 403 PERMISSION_DENIED
}

type fakeMessage struct {
	attributes map[string]string
}

const fakeAccessToken = "ya29.fake-access-token"

func startPubSub(t *testing.T, subscription string) *fakePubSub {
	t.Helper()
	f, err := servePubSub(subscription)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.srv.Close)
	return f
}

// servePubSub is startPubSub for a whole package's tests: the caller closes f.srv.
func servePubSub(subscription string) (*fakePubSub, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	f := &fakePubSub{key: key, subscription: subscription, unacked: map[string]fakeMessage{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("POST /v1/"+subscription+":pull", f.authorized(f.pull))
	mux.HandleFunc("POST /v1/"+subscription+":acknowledge", f.authorized(f.acknowledge))
	f.srv = httptest.NewServer(mux)
	return f, nil
}

// keyJSON is a service account key whose token_uri is the fake's token endpoint.
func (f *fakePubSub) keyJSON(t *testing.T) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(f.key)
	if err != nil {
		t.Fatal(err)
	}

	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "p", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "ferry@p.iam.gserviceaccount.com", "client_id": "1",
		"token_uri": f.srv.URL + "/token",
	})
	return b
}

func googleError(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, `{"error":{"code":%d,"message":"the request was refused","status":%q}}`, code, status)
}

// token answers the JWT bearer grant when the assertion is signed by the key, issued by
// the service account and addressed to this endpoint.
func (f *fakePubSub) token(w http.ResponseWriter, r *http.Request) {
	if r.FormValue("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT")
		return
	}
	parts := strings.Split(r.FormValue("assertion"), ".")
	if len(parts) != 3 {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT")
		return
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err != nil || rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		googleError(w, http.StatusUnauthorized, "UNAUTHENTICATED")
		return
	}
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Iss, Aud, Scope string
	}
	if json.Unmarshal(claims, &c) != nil || c.Iss != "ferry@p.iam.gserviceaccount.com" || c.Aud != f.srv.URL+"/token" ||
		!strings.Contains(c.Scope, "auth/cloud-platform") {
		googleError(w, http.StatusUnauthorized, "UNAUTHENTICATED")
		return
	}
	f.mu.Lock()
	f.tokens++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"access_token":%q,"expires_in":3600,"token_type":"Bearer"}`, fakeAccessToken)
}

func (f *fakePubSub) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+fakeAccessToken || r.Header.Get("Content-Type") != "application/json" {
			googleError(w, http.StatusUnauthorized, "UNAUTHENTICATED")
			return
		}
		next(w, r)
	}
}

func (f *fakePubSub) pull(w http.ResponseWriter, r *http.Request) {
	var req struct {
		MaxMessages int `json:"maxMessages"`
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil || req.MaxMessages <= 0 {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls++
	if f.deny {
		googleError(w, http.StatusForbidden, "PERMISSION_DENIED")
		return
	}
	type received struct {
		AckID   string         `json:"ackId"`
		Message map[string]any `json:"message"`
	}
	out := struct {
		ReceivedMessages []received `json:"receivedMessages,omitempty"`
	}{}
	for len(f.queue) > 0 && len(out.ReceivedMessages) < req.MaxMessages {
		m := f.queue[0]
		f.queue = f.queue[1:]
		id := fmt.Sprintf("ack-%d-%d", f.pulls, len(out.ReceivedMessages))
		f.unacked[id] = m
		out.ReceivedMessages = append(out.ReceivedMessages, received{AckID: id, Message: map[string]any{
			"data":       base64.StdEncoding.EncodeToString([]byte(`{"name":"` + m.attributes["secretId"] + `"}`)),
			"attributes": m.attributes, "messageId": id, "publishTime": "2026-12-04T10:00:00Z",
		}})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fakePubSub) acknowledge(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AckIDs []string `json:"ackIds"`
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil || len(req.AckIDs) == 0 {
		googleError(w, http.StatusBadRequest, "INVALID_ARGUMENT")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range req.AckIDs {
		delete(f.unacked, id)
	}
	_, _ = w.Write([]byte("{}"))
}

func (f *fakePubSub) publish(attributes map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, fakeMessage{attributes: attributes})
}

// TestPubSubFeedReceivesSecretManagerNotifications: a store annotated with a subscription
// pulls it with the store's service account key (a real JWT bearer grant at the key's
// token URI), returns each notification's secret under the names ExternalSecrets use,
// acknowledges what it received, and reports a refused pull by its status only.
func TestPubSubFeedReceivesSecretManagerNotifications(t *testing.T) {
	const sub = "projects/p/subscriptions/ferry-changes"
	ps := startPubSub(t, sub)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "gcp-key", Namespace: "apps"},
		Data: map[string][]byte{"key.json": ps.keyJSON(t)}}
	kube := fake.NewClientBuilder().WithObjects(secret).Build()
	store := gcpStore(esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{SecretRef: &esv1.GCPSMAuthSecretRef{
		SecretAccessKey: esv1.SecretKeySelector{Name: "gcp-key", Key: "key.json"}}}})
	p := New(WithEndpoints(Endpoints{PubSub: ps.srv.URL}))
	ctx := context.Background()

	if feed, err := p.NewChangeFeed(ctx, store, kube, "apps"); feed != nil || err != nil {
		t.Fatalf("a store without the annotation has a feed: %v, %v", feed, err)
	}
	store.SetAnnotations(map[string]string{AnnotationPubSubSubscription: "ferry-changes"})
	if _, err := p.NewChangeFeed(ctx, store, kube, "apps"); err == nil || !strings.Contains(err.Error(), "projects/PROJECT/subscriptions/SUBSCRIPTION") {
		t.Errorf("a subscription without its project = %v, want the form named", err)
	}
	store.SetAnnotations(map[string]string{AnnotationPubSubSubscription: sub})
	feed, err := p.NewChangeFeed(ctx, store, kube, "apps")
	if err != nil || feed == nil {
		t.Fatalf("NewChangeFeed: %v, %v", feed, err)
	}

	ps.publish(map[string]string{"eventType": "TOPIC_CONFIGURED"})
	ps.publish(map[string]string{"eventType": "SECRET_VERSION_ADD", "dataFormat": "JSON_API_V1",
		"secretId": "projects/p/secrets/db-password", "versionId": "projects/p/secrets/db-password/versions/2",
		"timestamp": "2026-12-04T11:17:45.081104-08:00"})
	ps.publish(map[string]string{"eventType": "SECRET_UPDATE", "dataFormat": "JSON_API_V1",
		"secretId": "projects/p/locations/europe-west1/secrets/api-key", "timestamp": "2026-12-04T19:20:00Z"})
	ps.publish(map[string]string{"eventType": "SECRET_VERSION_ADD", "secretId": "not-a-secret"})
	changes, err := feed.Receive(ctx)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	keys, malformed := provider.ChangeKeys(changes)
	want := []string{"db-password", "projects/p/secrets/db-password", "api-key", "projects/p/locations/europe-west1/secrets/api-key"}
	if !slices.Equal(keys, want) || malformed != 1 || len(changes) != 4 {
		t.Errorf("received %d changes, keys %q, %d malformed; want 4, %q, 1", len(changes), keys, malformed, want)
	}
	if at := changes[1].At; !at.Equal(time.Date(2026, 12, 4, 19, 17, 45, 81104000, time.UTC)) {
		t.Errorf("change time = %v, want the notification's timestamp", at)
	}
	ps.mu.Lock()
	unacked, tokens := len(ps.unacked), ps.tokens
	ps.mu.Unlock()
	if unacked != 0 || tokens != 1 {
		t.Errorf("%d messages left unacknowledged and %d access tokens; want 0 and 1", unacked, tokens)
	}

	// An empty pull pauses for the rest of pullCadence, so the feed's loop cannot spin.
	var paused time.Duration
	still := time.Now()
	feed.(*pubsubFeed).pace.Now = func() time.Time { return still }
	feed.(*pubsubFeed).pace.Pause = func(_ context.Context, d time.Duration) { paused += d }
	if changes, err := feed.Receive(ctx); err != nil || len(changes) != 0 {
		t.Errorf("an empty subscription: Receive = %v, %v; want nothing", changes, err)
	}
	if paused != pullCadence {
		t.Errorf("an empty pull paused %v, want %v", paused, pullCadence)
	}

	ps.mu.Lock()
	ps.deny = true
	ps.mu.Unlock()
	_, err = feed.Receive(ctx)
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "PERMISSION_DENIED") ||
		strings.Contains(err.Error(), "the request was refused") {
		t.Errorf("a refused pull = %v, want its status and code, not its message", err)
	}
	var _ provider.ChangeFeeder = p
}
