package vault

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/coder/websocket"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// AnnotationEventType is the annotation of a Vault or OpenBao SecretStore or
// ClusterSecretStore that subscribes its change feed to Vault's event notifications of this
// type, a pattern such as "kv-v2/*" (docs/events.md). It is Ferry's own, so the manifest
// stays valid for External Secrets Operator.
const AnnotationEventType = "events.ferry.dev/vault-event-type"

const (
	// subscribePath is Vault's WebSocket endpoint of event notifications, below /v1/; the
	// event type follows it.
	subscribePath = "sys/events/subscribe/"
	// eventsWait is how long one Receive waits for an event before it returns none, so that
	// a quiet subscription is still seen to be alive and the token is kept fresh.
	eventsWait = 20 * time.Second
	// maxEventBatch is the most events one Receive returns.
	maxEventBatch = 100
	// maxEventBytes bounds one message. An event names a path and a few fields; a larger
	// message closes the subscription, which is then made again.
	maxEventBytes = 64 << 10
	// eventBuffer is how many messages a subscription holds until Receive takes them.
	eventBuffer = 256
)

// eventTypePattern admits the event types and wildcard patterns Vault documents
// ("kv-v2/data-write", "kv-v2/*", "kv*", "*"), and nothing that would change the URL.
var eventTypePattern = regexp.MustCompile(`^[A-Za-z0-9_.*-]+(/[A-Za-z0-9_.*-]+)*$`)

var (
	_ provider.ChangeFeeder = (*Provider)(nil)
	_ provider.ChangeFeeder = (*OpenBaoProvider)(nil)
)

// NewChangeFeed returns the feed of Vault's event notifications of the type the store's
// AnnotationEventType names, subscribed with the store's own auth and namespace, or nil
// when the store names none.
func (p *Provider) NewChangeFeed(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.ChangeFeed, error) {
	return newEventsFeed(ctx, store, kube, namespace, p.ValidateStore, vaultStoreConfig)
}

// NewChangeFeed returns the feed of OpenBao's event notifications, which speak Vault's
// protocol, as the Vault provider's NewChangeFeed does.
func (p *OpenBaoProvider) NewChangeFeed(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.ChangeFeed, error) {
	return newEventsFeed(ctx, store, kube, namespace, p.ValidateStore, openBaoStoreConfig)
}

// newEventsFeed builds the feed of a store that validate accepts, on the connection its
// clients use.
func newEventsFeed(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string,
	validate func(esv1.GenericStore) error, config func(esv1.GenericStore) storeConfig) (provider.ChangeFeed, error) {
	eventType, err := annotatedEventType(store)
	if eventType == "" || err != nil {
		return nil, err
	}
	if err := validate(store); err != nil {
		return nil, err
	}
	c, err := newKVClient(ctx, config(store), store, kube, namespace)
	if err != nil {
		return nil, err
	}
	return &eventsFeed{conn: c.conn, eventType: eventType, wait: eventsWait}, nil
}

// annotatedEventType returns the event type the store's annotation names, "" for none.
func annotatedEventType(store esv1.GenericStore) (string, error) {
	eventType, ok := store.GetAnnotations()[AnnotationEventType]
	if !ok {
		return "", nil
	}
	if !eventTypePattern.MatchString(eventType) {
		return "", fmt.Errorf("annotation %s: want an event type or a pattern of them such as kv-v2/*, got %q",
			AnnotationEventType, eventType)
	}
	return eventType, nil
}

// eventsFeed follows a WebSocket subscription to Vault's event notifications (GET
// /v1/sys/events/subscribe/{eventType}?json=true with the store's token and namespace). A
// subscription that ends, or cannot be made, is an error: the feed is down until the next
// Receive subscribes again. Receive is called by one goroutine at a time.
type eventsFeed struct {
	conn      *conn
	eventType string
	wait      time.Duration // eventsWait
	sub       *subscription // nil until subscribed, and after the subscription ended
}

// subscription is one WebSocket; its reader hands messages to Receive.
type subscription struct {
	ws       *websocket.Conn
	token    string        // the token the subscription was made with
	messages chan []byte   // text messages; nil for a binary one
	done     chan struct{} // closed when the reader stops; err then says why
	err      error
	stop     context.CancelFunc
}

// Source names the feed: "vault-events", or "openbao-events" for OpenBao stores.
func (f *eventsFeed) Source() string { return f.conn.transport.product + "-events" }

// Receive subscribes when not subscribed (returning nothing once it is), or waits up to
// eventsWait for events and returns those that came, at most maxEventBatch. Events are
// hints: one lost while the feed is down is caught by the refresh of its objects.
func (f *eventsFeed) Receive(ctx context.Context) ([]provider.Change, error) {
	if f.sub == nil {
		sub, err := f.subscribe(ctx)
		if err != nil {
			return nil, err
		}
		f.sub = sub
		return nil, nil
	}
	if left, err := f.keepToken(ctx); err != nil || len(left) > 0 {
		return f.changes(left), err
	}
	timer := time.NewTimer(f.wait)
	defer timer.Stop()
	var messages [][]byte
	select {
	case m := <-f.sub.messages:
		messages = append(messages, m)
	case <-f.sub.done:
	case <-timer.C:
		return nil, nil
	case <-ctx.Done():
		f.close()
		return nil, ctx.Err()
	}
	messages = drain(f.sub.messages, messages)
	if len(messages) == 0 {
		// The reader stopped and nothing it read is left.
		err := f.sub.err
		f.close()
		return nil, fmt.Errorf("%s: the subscription to %s events ended: %w", f.conn.transport.product, f.eventType, err)
	}
	return f.changes(messages), nil
}

// keepToken renews or replaces the store's token as every call does. A new token (the old
// one could not be renewed) gets a new subscription before the old one is closed, so that
// no event falls between them; what the old one still held is returned.
func (f *eventsFeed) keepToken(ctx context.Context) ([][]byte, error) {
	token, err := f.conn.tokens.get(ctx)
	if err != nil {
		f.close()
		return nil, err
	}
	if token == f.sub.token {
		return nil, nil
	}
	next, err := f.subscribe(ctx)
	if err != nil {
		f.close()
		return nil, err
	}
	left := drain(f.sub.messages, nil)
	f.close()
	f.sub = next
	return left, nil
}

func (f *eventsFeed) changes(messages [][]byte) []provider.Change {
	if len(messages) == 0 {
		return nil
	}
	out := make([]provider.Change, 0, len(messages))
	for _, m := range messages {
		if m == nil {
			out = append(out, provider.Change{Malformed: true})
			continue
		}
		out = append(out, f.conn.layout.parseEvent(m))
	}
	return out
}

// close ends the subscription, if any.
func (f *eventsFeed) close() {
	if f.sub == nil {
		return
	}
	f.sub.stop()
	_ = f.sub.ws.CloseNow()
	f.sub = nil
}

// drain adds what ch holds now to messages, up to maxEventBatch in all.
func drain(ch <-chan []byte, messages [][]byte) [][]byte {
	for len(messages) < maxEventBatch {
		select {
		case m := <-ch:
			messages = append(messages, m)
		default:
			return messages
		}
	}
	return messages
}

// subscribe opens the WebSocket with the store's token; a token Vault refuses is replaced
// once, as calls do.
func (f *eventsFeed) subscribe(ctx context.Context) (*subscription, error) {
	token, err := f.conn.tokens.get(ctx)
	if err != nil {
		return nil, err
	}
	sub, status, err := f.dial(ctx, token)
	if status == http.StatusForbidden && f.conn.tokens.rejected(token) {
		if token, err = f.conn.tokens.get(ctx); err != nil {
			return nil, err
		}
		sub, _, err = f.dial(ctx, token)
	}
	return sub, err
}

// dial makes the subscription and starts its reader, which lives until ctx ends or the
// subscription is closed. A refusal is returned with its HTTP status.
func (f *eventsFeed) dial(ctx context.Context, token string) (*subscription, int, error) {
	t := f.conn.transport
	header := http.Header{}
	for k, v := range t.headers {
		header.Set(k, v)
	}
	header.Set(headerToken, token)
	if f.conn.namespace != "" {
		header.Set(headerNamespace, f.conn.namespace)
	}
	path := subscribePath + f.eventType
	ws, resp, err := websocket.Dial(ctx, t.server+"/v1/"+path+"?json=true",
		&websocket.DialOptions{HTTPClient: t.http, HTTPHeader: header})
	if err != nil {
		if resp == nil {
			return nil, 0, fmt.Errorf("%s GET /v1/%s: %w", t.product, path, err)
		}
		return nil, resp.StatusCode, f.refusal(path, resp)
	}
	ws.SetReadLimit(maxEventBytes)
	readCtx, stop := context.WithCancel(ctx)
	sub := &subscription{ws: ws, token: token, messages: make(chan []byte, eventBuffer), done: make(chan struct{}), stop: stop}
	go sub.read(readCtx)
	return sub, 0, nil
}

// refusal explains an answer other than the WebSocket handshake: Vault's status and
// messages, and for a server without event notifications or a token without access, what
// to do about it.
func (f *eventsFeed) refusal(path string, resp *http.Response) error {
	var body struct {
		Errors []string `json:"errors"`
	}
	if resp.Body != nil {
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1024)).Decode(&body)
	}
	// Vault's messages may span lines ("1 error occurred:\n\t* ..."); a condition shows one.
	messages := make([]string, 0, len(body.Errors))
	for _, m := range body.Errors {
		messages = append(messages, strings.Join(strings.Fields(m), " "))
	}
	err := &apiError{product: f.conn.transport.product, method: http.MethodGet, path: path, status: resp.StatusCode, messages: messages}
	switch resp.StatusCode {
	case http.StatusNotFound:
		if f.conn.transport.product == "openbao" {
			return fmt.Errorf("%w: this OpenBao server does not serve event notifications (OpenBao serves them only "+
				"with the events.alpha1 experiment enabled); use Ferry's HTTP change endpoint instead", err)
		}
		return fmt.Errorf("%w: this Vault server does not serve event notifications (Vault Enterprise 1.16+, or "+
			"Vault Community 1.13-1.15, where 1.13 and 1.14 need the events.alpha1 experiment); use Ferry's HTTP "+
			"change endpoint instead", err)
	case http.StatusForbidden:
		return fmt.Errorf("%w: the store's token may not subscribe: it needs the read capability on %s, and list "+
			"and subscribe (with subscribe_event_types) on the paths of the secrets", err, path)
	}
	return err
}

// read hands each message to Receive until the WebSocket fails or ctx ends.
func (s *subscription) read(ctx context.Context) {
	defer close(s.done)
	for {
		kind, data, err := s.ws.Read(ctx)
		if err != nil {
			s.err = err
			return
		}
		if kind != websocket.MessageText {
			// Protobuf, which the subscription did not ask for.
			data = nil
		}
		select {
		case s.messages <- data:
		case <-ctx.Done():
			s.err = ctx.Err()
			return
		}
	}
}
