package rollout

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestAlertBodies(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnsupportedMediaType)
		}
	}))
	defer srv.Close()
	alert := Alert{Kind: "Deployment", Namespace: "shop", Name: "api", Changed: "Secret db"}
	for sink, check := range map[string]func(map[string]any) bool{
		SinkSlack: func(b map[string]any) bool {
			return strings.Contains(b["text"].(string), "Deployment shop/api: changed Secret db. prod")
		},
		SinkGChat: func(b map[string]any) bool { return strings.Contains(b["text"].(string), "shop/api") },
		SinkTeams: func(b map[string]any) bool {
			return b["@type"] == "MessageCard" && strings.Contains(b["text"].(string), "changed Secret db")
		},
		SinkWebhook: func(b map[string]any) bool {
			return b["kind"] == "Deployment" && b["namespace"] == "shop" && b["name"] == "api" && b["changed"] == "Secret db" && b["additionalInfo"] == "prod"
		},
	} {
		a := newAlerter(AlertOptions{WebhookURL: srv.URL, Sink: sink, AdditionalInfo: "prod"}, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x"}, []string{"sink", "result"}))
		if err := a.deliver(context.Background(), alert); err != nil {
			t.Fatalf("%s: %v", sink, err)
		}
		var body map[string]any
		if err := json.Unmarshal(got, &body); err != nil || !check(body) {
			t.Errorf("%s body %s (%v)", sink, got, err)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		opts Options
		ok   bool
	}{
		"defaults":            {ok: true},
		"env-vars":            {opts: Options{ReloadStrategy: StrategyEnvVars}, ok: true},
		"unknown strategy":    {opts: Options{ReloadStrategy: "restart"}},
		"workload types":      {opts: Options{IgnoredWorkloadTypes: []string{"jobs", "CronJob", "rollouts"}}, ok: true},
		"unknown type":        {opts: Options{IgnoredWorkloadTypes: []string{"pods"}}},
		"bad selector":        {opts: Options{NamespaceSelector: "a in ("}},
		"both ignored":        {opts: Options{IgnoreSecrets: true, IgnoreConfigMaps: true}},
		"bad sink":            {opts: Options{Alerts: AlertOptions{Sink: "pager"}}},
		"bad URL, not echoed": {opts: Options{Alerts: AlertOptions{WebhookURL: "ftp://token@host"}}},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.opts.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
			if err != nil && strings.Contains(err.Error(), "token") {
				t.Errorf("the error repeats the URL: %v", err)
			}
		})
	}
}
