package gcpsm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"google.golang.org/api/option"
	htransport "google.golang.org/api/transport/http"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// AnnotationPubSubSubscription is the annotation of a SecretStore or ClusterSecretStore that
// names the Pub/Sub subscription (projects/PROJECT/subscriptions/SUBSCRIPTION) of a topic that Secret
// Manager's event notifications publish to (docs/events.md). It is Ferry's own, so the
// manifest stays valid for External Secrets Operator.
const AnnotationPubSubSubscription = "events.ferry.dev/gcp-pubsub-subscription"

const (
	defaultPubSub = "https://pubsub.googleapis.com"
	// pullMessages is the most messages one pull returns.
	pullMessages = 100
	// pullCadence is the least time between two pulls that found nothing: a pull returns
	// at once or after a short wait for messages, at the server's choice, and an empty
	// answer must not turn the feed into a busy loop.
	pullCadence = 2 * time.Second
	// maxErrorBody is how much of an error answer is read for its status code.
	maxErrorBody = 64 << 10
)

var subscriptionName = regexp.MustCompile(`^projects/[^/]+/subscriptions/[^/]+$`)

var _ provider.ChangeFeeder = Provider{}

// NewChangeFeed returns the Pub/Sub feed that the store's AnnotationPubSubSubscription
// names, pulling with the store's own credentials, or nil when the store names none.
func (p Provider) NewChangeFeed(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.ChangeFeed, error) {
	sub := store.GetAnnotations()[AnnotationPubSubSubscription]
	if sub == "" {
		return nil, nil
	}
	if !subscriptionName.MatchString(sub) {
		return nil, fmt.Errorf("annotation %s: want projects/PROJECT/subscriptions/SUBSCRIPTION, got %q", AnnotationPubSubSubscription, sub)
	}
	opts, _, err := p.authOptions(ctx, store, kube, namespace)
	if err != nil {
		return nil, err
	}
	hc, _, err := htransport.NewClient(ctx, append(opts, option.WithScopes(cloudPlatformScope))...)
	if err != nil {
		return nil, fmt.Errorf("building the Pub/Sub client: %w", err)
	}
	base := p.endpoints.PubSub
	if base == "" {
		base = defaultPubSub
	}
	return &pubsubFeed{http: hc, url: strings.TrimSuffix(base, "/") + "/v1/" + sub, pace: provider.NewPacer(pullCadence)}, nil
}

// pubsubFeed pulls a subscription that Secret Manager's notifications fill.
type pubsubFeed struct {
	http *http.Client
	url  string // the subscription's resource URL
	pace provider.Pacer
}

// Source names the feed.
func (f *pubsubFeed) Source() string { return "gcp-pubsub" }

// Receive pulls what the subscription holds, acknowledges it (an event is a hint: one lost
// after this point is caught by the safety-net refresh) and returns the changes it
// reports. A pull that finds nothing returns after pullCadence at the earliest.
func (f *pubsubFeed) Receive(ctx context.Context) ([]provider.Change, error) {
	start := f.pace.Now()
	var out struct {
		ReceivedMessages []struct {
			AckID   string        `json:"ackId"`
			Message pubsubMessage `json:"message"`
		} `json:"receivedMessages"`
	}
	if err := f.call(ctx, ":pull", map[string]any{"maxMessages": pullMessages}, &out); err != nil {
		return nil, fmt.Errorf("pulling from the change subscription: %w", err)
	}
	if len(out.ReceivedMessages) == 0 {
		f.pace.Idle(ctx, start)
		return nil, nil
	}
	changes := make([]provider.Change, 0, len(out.ReceivedMessages))
	ackIDs := make([]string, 0, len(out.ReceivedMessages))
	for _, m := range out.ReceivedMessages {
		changes = append(changes, parseNotification(m.Message))
		ackIDs = append(ackIDs, m.AckID)
	}
	// Unacknowledged messages come back after the ack deadline: one more read each.
	_ = f.call(ctx, ":acknowledge", map[string]any{"ackIds": ackIDs}, nil)
	return changes, nil
}

// call POSTs body as JSON to the subscription's method and decodes the answer into out.
// A refusal is reported by its HTTP status and Google's error status, never by its text,
// which may repeat the request.
func (f *pubsubFeed) call(ctx context.Context, method string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url+method, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.http.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error struct {
				Status string `json:"status"`
			} `json:"error"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&e)
		msg := fmt.Sprintf("Pub/Sub answered %s", resp.Status)
		if e.Error.Status != "" {
			msg += " (" + e.Error.Status + ")"
		}
		return errors.New(msg)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("Pub/Sub's answer is not the JSON of the API: %w", err)
	}
	return nil
}

// pubsubMessage is the part of a PubsubMessage the feed reads: Secret Manager's
// notification is in its attributes (eventType, secretId, timestamp); the data, the
// changed Secret or SecretVersion resource, is not needed.
type pubsubMessage struct {
	Attributes map[string]string `json:"attributes"`
}

// parseNotification returns the change a Secret Manager notification reports: the secret's
// name as ExternalSecrets write it (its short name and its full resource name). The test
// message TOPIC_CONFIGURED reports nothing; a message without a secretId is malformed.
func parseNotification(m pubsubMessage) provider.Change {
	if m.Attributes["eventType"] == "TOPIC_CONFIGURED" {
		return provider.Change{}
	}
	id := m.Attributes["secretId"]
	_, name, ok := strings.Cut(id, "/secrets/")
	if !strings.HasPrefix(id, "projects/") || !ok || name == "" || strings.Contains(name, "/") {
		return provider.Change{Malformed: true}
	}
	c := provider.Change{Keys: []string{name, id}}
	if at, err := time.Parse(time.RFC3339Nano, m.Attributes["timestamp"]); err == nil {
		c.At = at
	}
	return c
}
