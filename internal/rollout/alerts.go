package rollout

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	ctrl "sigs.k8s.io/controller-runtime"
)

// Alert sinks (AlertOptions.Sink), as Reloader's ALERT_SINK names them.
const (
	SinkWebhook = "webhook"
	SinkSlack   = "slack"
	SinkTeams   = "teams"
	SinkGChat   = "gchat"
)

// AlertOptions configure the notification sent per restart.
type AlertOptions struct {
	// WebhookURL receives a POST per restart; "" sends nothing.
	WebhookURL string
	// Sink shapes the body: SinkWebhook (default, Ferry's JSON), SinkSlack, SinkTeams or
	// SinkGChat.
	Sink string
	// AdditionalInfo is appended to every message, e.g. the cluster's name.
	AdditionalInfo string
}

func (a AlertOptions) validate() error {
	switch a.Sink {
	case "", SinkWebhook, SinkSlack, SinkTeams, SinkGChat:
	default:
		return fmt.Errorf("alert sink %q: want %s, %s, %s or %s", a.Sink, SinkWebhook, SinkSlack, SinkTeams, SinkGChat)
	}
	if a.WebhookURL == "" {
		return nil
	}
	u, err := url.Parse(a.WebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL itself may hold a token (Slack's do): it is not repeated here.
		return fmt.Errorf("alert webhook URL: want an http or https URL")
	}
	return nil
}

// Alert is one restart, as the notification tells it: names only, never a value.
type Alert struct {
	Kind, Namespace, Name string
	// Changed names the sources whose change caused the restart: "Secret a, ConfigMap b".
	Changed string
}

// Message is the alert as one sentence.
func (a Alert) Message(additionalInfo string) string {
	msg := fmt.Sprintf("Ferry restarted %s %s/%s: changed %s", a.Kind, a.Namespace, a.Name, a.Changed)
	if additionalInfo != "" {
		msg += ". " + additionalInfo
	}
	return msg
}

// Delivery of alerts: a few attempts each, a bounded queue, and a worker of its own so that
// a slow or failing webhook never holds a restart back.
const (
	alertQueue    = 256
	alertAttempts = 4
	alertTimeout  = 10 * time.Second
)

// Results of an alert; they label ferry_rollout_alerts_total.
const (
	alertSent    = "sent"
	alertFailed  = "failed"
	alertDropped = "dropped"
)

// alerter posts alerts to the webhook, from its own goroutine (it is a manager Runnable).
type alerter struct {
	opts    AlertOptions
	client  *http.Client
	queue   chan Alert
	results *prometheus.CounterVec
	// backoff is the wait after the first failed attempt; it doubles after each.
	backoff time.Duration
}

// newAlerter returns nil when no webhook is configured: send on nil does nothing.
func newAlerter(opts AlertOptions, results *prometheus.CounterVec) *alerter {
	if opts.WebhookURL == "" {
		return nil
	}
	if opts.Sink == "" {
		opts.Sink = SinkWebhook
	}
	return &alerter{opts: opts, client: &http.Client{Timeout: alertTimeout}, queue: make(chan Alert, alertQueue),
		results: results, backoff: 500 * time.Millisecond}
}

// send queues an alert without waiting; a full queue drops it and counts the drop.
func (a *alerter) send(alert Alert) {
	if a == nil {
		return
	}
	select {
	case a.queue <- alert:
	default:
		a.results.WithLabelValues(a.opts.Sink, alertDropped).Inc()
	}
}

// Start delivers queued alerts until ctx ends.
func (a *alerter) Start(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case alert := <-a.queue:
			result := alertSent
			if err := a.deliver(ctx, alert); err != nil {
				result = alertFailed
				// The error names the status or the transport failure, never the URL, which
				// may hold a token.
				ctrl.LoggerFrom(ctx).Info("Alert not delivered", "workload", alert.Namespace+"/"+alert.Name, "reason", err.Error())
			}
			a.results.WithLabelValues(a.opts.Sink, result).Inc()
		}
	}
}

// deliver posts one alert, trying again after failures.
func (a *alerter) deliver(ctx context.Context, alert Alert) error {
	body, err := json.Marshal(a.body(alert))
	if err != nil {
		return fmt.Errorf("encoding the alert: %w", err)
	}
	wait := a.backoff
	for attempt := 1; ; attempt++ {
		err = a.post(ctx, body)
		if err == nil || attempt == alertAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func (a *alerter) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.opts.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return errors.New("building the request failed")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // without the URL
		}
		return fmt.Errorf("posting: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

// body shapes the alert for the sink: Slack and Google Chat take {"text": ...}, Microsoft
// Teams a MessageCard, a raw webhook Ferry's own JSON object.
func (a *alerter) body(alert Alert) any {
	text := alert.Message(a.opts.AdditionalInfo)
	switch a.opts.Sink {
	case SinkSlack, SinkGChat:
		return map[string]string{"text": text}
	case SinkTeams:
		return map[string]string{"@type": "MessageCard", "@context": "https://schema.org/extensions",
			"summary": "Ferry restarted a workload", "title": "Ferry restarted a workload", "text": text}
	default:
		return map[string]string{"kind": alert.Kind, "namespace": alert.Namespace, "name": alert.Name,
			"changed": alert.Changed, "message": text, "additionalInfo": a.opts.AdditionalInfo}
	}
}
