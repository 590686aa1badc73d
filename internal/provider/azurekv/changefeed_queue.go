package azurekv

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// AnnotationStorageQueueURL is the annotation of a SecretStore or ClusterSecretStore that
// names the Azure Storage queue (https://ACCOUNT.queue.core.windows.net/QUEUE) an Event Grid
// subscription of the vault's events delivers to (docs/events.md). It is Ferry's own, so
// the manifest stays valid for External Secrets Operator.
const AnnotationStorageQueueURL = "events.ferry.dev/azure-storage-queue-url"

const (
	// storageScope is the Entra ID scope of Azure Storage's data plane.
	storageScope = "https://storage.azure.com/.default"
	// storageVersion is the Queue service REST version sent; bearer tokens need 2017-11-09
	// or later.
	storageVersion = "2021-12-02"
	// queueBatch is the most messages one Get Messages call returns (the service's limit).
	queueBatch = 32
	// queueVisibility hides received messages this long: a message Ferry fails to delete
	// comes back once after it.
	queueVisibility = 60 * time.Second
	// queueCadence is the least time between two receives that found nothing: Storage
	// queues answer at once, so an empty queue is polled, not waited on.
	queueCadence   = 2 * time.Second
	maxQueueAnswer = 4 << 20
)

var _ provider.ChangeFeeder = Provider{}

// queueKind is a kind of queue a store's annotation can name.
type queueKind struct {
	annotation, form string // the annotation, and the URL form errors show
	scope, service   string // the Entra ID scope of its data plane, and its name in errors
	header           func(http.Header, time.Time)
	feed             func(bearerCaller, string) provider.ChangeFeed
}

var queueKinds = []queueKind{
	{annotation: AnnotationStorageQueueURL, form: "https://ACCOUNT.queue.core.windows.net/QUEUE",
		scope: storageScope, service: "the Queue service", header: storageHeaders,
		feed: func(c bearerCaller, target string) provider.ChangeFeed {
			return &queueFeed{caller: c, url: target, pace: provider.NewPacer(queueCadence)}
		}},
	{annotation: AnnotationServiceBusQueueURL, form: "https://NAMESPACE.servicebus.windows.net/QUEUE",
		scope: serviceBusScope, service: "Service Bus",
		feed: func(c bearerCaller, target string) provider.ChangeFeed {
			return &serviceBusFeed{caller: c, url: target, wait: serviceBusWait, pace: provider.NewPacer(queueCadence)}
		}},
}

// NewChangeFeed returns the feed the store's annotation names, reading with the store's own
// credentials: a Storage queue (AnnotationStorageQueueURL) or a Service Bus queue
// (AnnotationServiceBusQueueURL); nil when the store names none.
func (p Provider) NewChangeFeed(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.ChangeFeed, error) {
	var kind queueKind
	var raw string
	for _, k := range queueKinds {
		v := store.GetAnnotations()[k.annotation]
		if v == "" {
			continue
		}
		if raw != "" {
			return nil, fmt.Errorf("annotations %s and %s: set one of them", kind.annotation, k.annotation)
		}
		kind, raw = k, v
	}
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || strings.Count(strings.Trim(u.Path, "/"), "/") != 0 || strings.Trim(u.Path, "/") == "" ||
		(u.Scheme != "https" && p.authorityHost == "") {
		return nil, fmt.Errorf("annotation %s: want %s, got %q", kind.annotation, kind.form, raw)
	}
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	cred, err := p.credential(ctx, StoreAccess(store), kube, namespace)
	if err != nil {
		return nil, err
	}
	hc := p.httpClient
	if hc == nil {
		hc = http.DefaultClient
	}
	caller := bearerCaller{http: hc, cred: cred, scope: kind.scope, service: kind.service, header: kind.header}
	return kind.feed(caller, strings.TrimSuffix(u.String(), "/")), nil
}

// queueFeed reads a Storage queue that an Event Grid subscription fills with Key Vault
// events.
type queueFeed struct {
	caller bearerCaller
	url    string
	pace   provider.Pacer
}

// Source names the feed.
func (f *queueFeed) Source() string { return "azure-storage-queue" }

// Receive gets what the queue holds, deletes it (an event is a hint: one lost after this
// point is caught by the safety-net refresh) and returns the changes it reports. A receive
// that finds nothing returns after queueCadence at the earliest.
func (f *queueFeed) Receive(ctx context.Context) ([]provider.Change, error) {
	start := f.pace.Now()
	q := url.Values{"numofmessages": {fmt.Sprint(queueBatch)}, "visibilitytimeout": {fmt.Sprint(int(queueVisibility.Seconds()))}}
	var list struct {
		Messages []struct {
			ID         string `xml:"MessageId"`
			PopReceipt string `xml:"PopReceipt"`
			Text       string `xml:"MessageText"`
		} `xml:"QueueMessage"`
	}
	_, body, err := f.caller.call(ctx, http.MethodGet, f.url+"/messages?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("receiving from the change queue: %w", err)
	}
	if err := xml.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("receiving from the change queue: the answer is not the Queue service's XML: %w", err)
	}
	if len(list.Messages) == 0 {
		f.pace.Idle(ctx, start)
		return nil, nil
	}
	changes := make([]provider.Change, 0, len(list.Messages))
	for _, m := range list.Messages {
		changes = append(changes, parseVaultEvents(m.Text)...)
		// Undeleted messages come back after the visibility timeout: one more read each.
		_, _, _ = f.caller.call(ctx, http.MethodDelete, f.url+"/messages/"+url.PathEscape(m.ID)+"?"+url.Values{"popreceipt": {m.PopReceipt}}.Encode())
	}
	return changes, nil
}

// storageHeaders are the headers every Queue service request carries.
func storageHeaders(h http.Header, now time.Time) {
	h.Set("x-ms-version", storageVersion)
	h.Set("x-ms-date", now.UTC().Format(http.TimeFormat))
}

// bearerCaller calls an Azure data-plane service with Entra ID bearer tokens of one
// credential for scope.
type bearerCaller struct {
	http    *http.Client
	cred    azcore.TokenCredential
	scope   string
	service string // names the service in errors
	// header, when set, adds the service's own headers.
	header func(h http.Header, now time.Time)
}

// call makes one request and returns the status and body of a 2xx answer. A refusal is
// reported by its HTTP status and the service's error code header, never by its text.
func (b bearerCaller) call(ctx context.Context, method, target string) (int, []byte, error) {
	tok, err := b.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{b.scope}})
	if err != nil {
		return 0, nil, fmt.Errorf("getting an Entra ID token for %s: %w", b.service, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	if b.header != nil {
		b.header(req.Header, time.Now())
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxQueueAnswer))
	if err != nil {
		return 0, nil, err
	}
	if resp.StatusCode/100 != 2 {
		msg := b.service + " answered " + resp.Status
		if code := resp.Header.Get("x-ms-error-code"); code != "" {
			msg += " (" + code + ")"
		}
		return 0, nil, errors.New(msg)
	}
	return resp.StatusCode, body, nil
}

// vaultEvent is the part of a Key Vault event (Event Grid or CloudEvents schema) the feed
// reads. Key Vault writes its data fields in Pascal case (ObjectName); JSON field names
// match without regard to case.
type vaultEvent struct {
	EventTime string `json:"eventTime"`
	Time      string `json:"time"`
	Data      struct {
		ObjectType string `json:"objectType"`
		ObjectName string `json:"objectName"`
	} `json:"data"`
}

// parseVaultEvents returns the changes a queued message reports: for each Key Vault event
// in it (one event, or an array of them), the object's name alone (as secrets are read)
// and with its kind's prefix (secret/, key/, cert/), as ExternalSecrets write it. Event Grid
// may deliver the JSON as it is or base64 encoded; both are read. Anything else is one
// malformed change.
func parseVaultEvents(text string) []provider.Change {
	raw := []byte(strings.TrimSpace(text))
	if !json.Valid(raw) {
		decoded, err := base64.StdEncoding.DecodeString(string(raw))
		if err != nil || !json.Valid(decoded) {
			return []provider.Change{{Malformed: true}}
		}
		raw = bytes.TrimSpace(decoded)
	}
	var events []vaultEvent
	if len(raw) > 0 && raw[0] == '[' {
		if json.Unmarshal(raw, &events) != nil || len(events) == 0 {
			return []provider.Change{{Malformed: true}}
		}
	} else {
		var e vaultEvent
		if json.Unmarshal(raw, &e) != nil {
			return []provider.Change{{Malformed: true}}
		}
		events = []vaultEvent{e}
	}
	changes := make([]provider.Change, 0, len(events))
	for _, e := range events {
		changes = append(changes, e.change())
	}
	return changes
}

// change is the change one event reports.
func (e vaultEvent) change() provider.Change {
	name := e.Data.ObjectName
	if name == "" || strings.Contains(name, "/") {
		return provider.Change{Malformed: true}
	}
	c := provider.Change{Keys: []string{name}}
	switch strings.ToLower(e.Data.ObjectType) {
	case "secret":
		c.Keys = append(c.Keys, "secret/"+name)
	case "key":
		c.Keys = append(c.Keys, "key/"+name)
	case "certificate":
		c.Keys = append(c.Keys, "cert/"+name)
	}
	for _, at := range []string{e.EventTime, e.Time} {
		if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
			c.At = t
			break
		}
	}
	return c
}
