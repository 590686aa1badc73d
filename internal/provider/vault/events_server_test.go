package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// eventsServer stands in for the event notifications API of Vault Enterprise, which does not
// run here. It is written from Vault's public documentation ("Event Notifications" concepts
// page, the events command, the API's status codes), not from Ferry's client:
//
//   - GET /v1/sys/events/subscribe/{eventType} is a WebSocket; the event type may hold "*"
//     wildcards that match any characters ("kv*" matches "kv-v2/data-write").
//   - It authenticates with X-Vault-Token and scopes to X-Vault-Namespace, as every endpoint:
//     a missing or unknown token, or one without the read capability on the endpoint, is
//     refused with 403 and {"errors":["permission denied"]}.
//   - Events are protobuf binary messages unless the query has json=true, then CloudEvents
//     JSON text messages whose data holds event.metadata (path, data_path, operation,
//     modified...), event_type and plugin_info.mount_path.
//   - A server without event notifications answers 404 with Vault's error body, as the Vault
//     Community 1.21 dev server does ("unsupported path").
//
// Every other request goes to upstream (a real Vault dev server) when set, so that a store
// can read its secrets from Vault and follow events from the stand-in.
type eventsServer struct {
	srv *httptest.Server

	mu       sync.Mutex
	tokens   map[string]bool // tokens that may subscribe
	disabled bool            // answer 404, as Vault Community 1.16+ does
	subs     []*eventsSubscriber
	requests []*http.Request // subscription requests, accepted or not
}

type eventsSubscriber struct {
	ws        *websocket.Conn
	pattern   *regexp.Regexp
	namespace string
	json      bool
}

// startEventsServer serves the stand-in on a loopback port until the test ends; tokens may
// subscribe, and upstream (may be "") serves every other path.
func startEventsServer(t *testing.T, upstream string, tokens ...string) *eventsServer {
	t.Helper()
	s := &eventsServer{tokens: map[string]bool{}}
	for _, tok := range tokens {
		s.tokens[tok] = true
	}
	var proxy http.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		vaultErrors(w, http.StatusNotFound)
	})
	if upstream != "" {
		u, err := url.Parse(upstream)
		if err != nil {
			t.Fatal(err)
		}
		proxy = httputil.NewSingleHostReverseProxy(u)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/sys/events/subscribe/{eventType...}", s.subscribe)
	mux.Handle("/", proxy)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.closeAll()
		s.srv.Close()
	})
	return s
}

// vaultErrors writes Vault's error body, {"errors":[...]}.
func vaultErrors(w http.ResponseWriter, status int, messages ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string][]string{"errors": append([]string{}, messages...)})
}

func (s *eventsServer) subscribe(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Clone(context.Background()))
	disabled, allowed := s.disabled, s.tokens[r.Header.Get("X-Vault-Token")]
	s.mu.Unlock()
	switch {
	case disabled:
		vaultErrors(w, http.StatusNotFound, "1 error occurred:\n\t* unsupported path\n\n")
		return
	case !allowed:
		vaultErrors(w, http.StatusForbidden, "permission denied")
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	pattern := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(r.PathValue("eventType")), `\*`, ".*") + "$")
	sub := &eventsSubscriber{ws: ws, pattern: pattern, namespace: r.Header.Get("X-Vault-Namespace"),
		json: r.URL.Query().Get("json") == "true"}
	s.mu.Lock()
	s.subs = append(s.subs, sub)
	s.mu.Unlock()
	// Read until the client goes, so that its close frames are answered.
	ctx := ws.CloseRead(context.Background())
	<-ctx.Done()
}

// publish sends an event to each subscriber of its type in namespace: as the JSON text
// message Vault documents, or a binary message to subscribers that did not ask for JSON.
func (s *eventsServer) publish(t *testing.T, namespace, eventType, message string) {
	t.Helper()
	for _, sub := range s.subscribers() {
		if !sub.pattern.MatchString(eventType) || sub.namespace != namespace {
			continue
		}
		kind, data := websocket.MessageText, []byte(message)
		if !sub.json {
			kind, data = websocket.MessageBinary, []byte{0x0a, 0x01, 0x2a}
		}
		if err := sub.ws.Write(context.Background(), kind, data); err != nil {
			t.Logf("publishing to a subscriber that left: %v", err)
		}
	}
}

// publishRaw sends message as it is (text) to every subscriber: what a broken server could.
func (s *eventsServer) publishRaw(kind websocket.MessageType, message string) {
	for _, sub := range s.subscribers() {
		_ = sub.ws.Write(context.Background(), kind, []byte(message))
	}
}

func (s *eventsServer) subscribers() []*eventsSubscriber {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*eventsSubscriber(nil), s.subs...)
}

// closeAll ends every subscription, as a Vault node that stops or steps down does.
func (s *eventsServer) closeAll() {
	s.mu.Lock()
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()
	for _, sub := range subs {
		_ = sub.ws.Close(websocket.StatusGoingAway, "server stopping")
	}
}

// waitSubscribers waits until n subscriptions are open.
func (s *eventsServer) waitSubscribers(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.subscribers()) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions open, want %d", len(s.subscribers()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *eventsServer) subscriptionRequests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.requests...)
}

// kvEvent is a KV event notification as Vault 1.15+ formats it in JSON (a CloudEvent), for
// a secret at <mount>/<section>/<secret> (KV v2) or <mount>/<secret> (KV v1), sent at at.
func kvEvent(eventType, mount, secret string, at time.Time) string {
	engine, operation, _ := strings.Cut(eventType, "/")
	path := mount + "/" + secret
	dataPath := path
	if engine == "kv-v2" {
		section := map[string]string{"delete": "delete", "destroy": "destroy", "undelete": "undelete",
			"metadata-write": "metadata", "metadata-patch": "metadata", "metadata-delete": "metadata"}[operation]
		if section == "" {
			section = "data"
		}
		path = mount + "/" + section + "/" + secret
		dataPath = mount + "/data/" + secret
	}
	metadata := map[string]string{"current_version": "2", "modified": "true", "oldest_version": "0",
		"operation": operation, "path": path}
	// The documented metadata of each KV event type: those of deletions carry no data_path.
	switch eventType {
	case "kv-v1/delete", "kv-v2/data-delete", "kv-v2/delete", "kv-v2/destroy", "kv-v2/metadata-delete":
	default:
		metadata["data_path"] = dataPath
	}
	id := fmt.Sprintf("%x", at.UnixNano())
	event := map[string]any{
		"id": id, "source": "https://vaultproject.io/", "specversion": "1.0", "type": "*",
		"data": map[string]any{
			"event":      map[string]any{"id": id, "metadata": metadata},
			"event_type": eventType,
			"plugin_info": map[string]string{"mount_class": "secret", "mount_accessor": engine + "_0a1b2c3d",
				"mount_path": mount + "/", "plugin": "kv"},
		},
		"datacontentype": "application/cloudevents",
		"time":           at.Format(time.RFC3339Nano),
	}
	b, _ := json.Marshal(event)
	return string(b)
}
