package azurekv

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ferryhq/ferry/internal/provider"
)

// AnnotationServiceBusQueueURL is the annotation of a SecretStore or ClusterSecretStore that
// names the Azure Service Bus queue (https://NAMESPACE.servicebus.windows.net/QUEUE) an Event
// Grid subscription of the vault's events delivers to (docs/events.md). It is Ferry's own,
// so the manifest stays valid for External Secrets Operator.
const AnnotationServiceBusQueueURL = "events.ferry.dev/azure-service-bus-queue-url"

const (
	// serviceBusScope is the Entra ID scope of Service Bus's data plane.
	serviceBusScope = "https://servicebus.azure.net/.default"
	// serviceBusWait is how long one receive waits for a message: Service Bus holds the
	// request until one arrives or the time-out passes (a long poll).
	serviceBusWait = 20 * time.Second
)

// serviceBusFeed reads a Service Bus queue that an Event Grid subscription fills with Key
// Vault events, through Service Bus's REST API: Receive and Delete Message (a destructive
// read, DELETE /{queue}/messages/head?timeout=N: 200 with the message as the body, 204 when
// none came within the time-out).
type serviceBusFeed struct {
	caller bearerCaller
	url    string
	wait   time.Duration // serviceBusWait
	pace   provider.Pacer
}

// Source names the feed.
func (f *serviceBusFeed) Source() string { return "azure-service-bus" }

// Receive waits up to serviceBusWait for the next message and returns the changes it
// reports. The read deletes the message: an event is a hint, and one lost after this point
// is caught by the safety-net refresh. A receive that found nothing returns after
// queueCadence at the earliest, should the service answer at once.
func (f *serviceBusFeed) Receive(ctx context.Context) ([]provider.Change, error) {
	start := f.pace.Now()
	q := url.Values{"timeout": {fmt.Sprint(int(f.wait.Seconds()))}}
	status, body, err := f.caller.call(ctx, http.MethodDelete, f.url+"/messages/head?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("receiving from the change queue: %w", err)
	}
	if status == http.StatusNoContent {
		f.pace.Idle(ctx, start)
		return nil, nil
	}
	return parseVaultEvents(string(body)), nil
}
