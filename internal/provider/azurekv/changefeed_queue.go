package azurekv

import (
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

// NewChangeFeed returns the Storage queue feed that the store's AnnotationStorageQueueURL
// names, reading with the store's own credentials, or nil when the store names none.
func (p Provider) NewChangeFeed(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.ChangeFeed, error) {
	raw := store.GetAnnotations()[AnnotationStorageQueueURL]
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || strings.Count(strings.Trim(u.Path, "/"), "/") != 0 || strings.Trim(u.Path, "/") == "" ||
		(u.Scheme != "https" && p.authorityHost == "") {
		return nil, fmt.Errorf("annotation %s: want https://ACCOUNT.queue.core.windows.net/QUEUE, got %q", AnnotationStorageQueueURL, raw)
	}
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	cred, err := p.credential(ctx, store, kube, namespace)
	if err != nil {
		return nil, err
	}
	hc := p.httpClient
	if hc == nil {
		hc = http.DefaultClient
	}
	return &queueFeed{http: hc, cred: cred, url: strings.TrimSuffix(u.String(), "/"), pace: provider.NewPacer(queueCadence)}, nil
}

// queueFeed reads a Storage queue that an Event Grid subscription fills with Key Vault
// events.
type queueFeed struct {
	http *http.Client
	cred azcore.TokenCredential
	url  string
	pace provider.Pacer
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
	body, err := f.call(ctx, http.MethodGet, f.url+"/messages?"+q.Encode())
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
		changes = append(changes, parseVaultEvent(m.Text))
		// Undeleted messages come back after the visibility timeout: one more read each.
		_, _ = f.call(ctx, http.MethodDelete, f.url+"/messages/"+url.PathEscape(m.ID)+"?"+url.Values{"popreceipt": {m.PopReceipt}}.Encode())
	}
	return changes, nil
}

// call makes one Queue service request with a bearer token of the store's credential. A
// refusal is reported by its HTTP status and the service's error code, never by its text.
func (f *queueFeed) call(ctx context.Context, method, target string) ([]byte, error) {
	tok, err := f.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{storageScope}})
	if err != nil {
		return nil, fmt.Errorf("getting an Entra ID token for Azure Storage: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("x-ms-version", storageVersion)
	req.Header.Set("x-ms-date", f.pace.Now().UTC().Format(http.TimeFormat))
	resp, err := f.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxQueueAnswer))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		msg := "the Queue service answered " + resp.Status
		if code := resp.Header.Get("x-ms-error-code"); code != "" {
			msg += " (" + code + ")"
		}
		return nil, errors.New(msg)
	}
	return body, nil
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

// parseVaultEvent returns the change a queued Key Vault event reports: the object's name,
// alone (as secrets are read) and with its kind's prefix (secret/, key/, cert/), as
// ExternalSecrets write it. Event Grid may deliver the event's JSON as it is or base64
// encoded; both are read. Anything else is malformed.
func parseVaultEvent(text string) provider.Change {
	var e vaultEvent
	if json.Unmarshal([]byte(text), &e) != nil {
		decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
		if err != nil || json.Unmarshal(decoded, &e) != nil {
			return provider.Change{Malformed: true}
		}
	}
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
