package rollout_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// webhook is a loopback HTTP server that answers the first failures with 500, then 200,
// and keeps every body it got.
type webhook struct {
	*httptest.Server
	mu       sync.Mutex
	failures int
	bodies   []string
}

func newWebhook(t *testing.T, failures int) *webhook {
	t.Helper()
	w := &webhook{failures: failures}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.bodies = append(w.bodies, string(body))
		if len(w.bodies) <= w.failures {
			rw.WriteHeader(http.StatusInternalServerError)
			return
		}
		rw.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(w.Close)
	return w
}

func (w *webhook) received() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.bodies...)
}

func TestAlertPerRestart(t *testing.T) {
	hook := newWebhook(t, 1) // the first attempt fails: the alert is retried
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.Alerts = rollout.AlertOptions{WebhookURL: hook.URL + "/hook", Sink: rollout.SinkSlack, AdditionalInfo: "cluster test-1"}
	f := startFerry(t, ns, opts)
	create(t, secret(ns, "db", nil, "password", oldPassword))
	app := deployment(ns, "app", auto(), pod(container(nil, envFromSecret("db"))))
	create(t, app)
	before := waitRecorded(t, app, "secret/db")

	setSecret(t, ns, "db", "password", newPassword)
	waitRolled(t, app, before)
	testenv.Eventually(t, 20*time.Second, "alert delivered", func() (bool, error) {
		return f.metric(t, "ferry_rollout_alerts_total", "sink", "slack", "result", "sent") == 1, nil
	})
	bodies := hook.received()
	if len(bodies) != 2 {
		t.Fatalf("webhook got %d requests, want 2 (one failed, one retried)", len(bodies))
	}
	var msg struct{ Text string }
	if err := json.Unmarshal([]byte(bodies[1]), &msg); err != nil {
		t.Fatalf("Slack body %q: %v", bodies[1], err)
	}
	for _, want := range []string{"Deployment", ns + "/app", "Secret db", "cluster test-1"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("alert %q does not name %q", msg.Text, want)
		}
	}
	for _, b := range bodies {
		if strings.Contains(b, newPassword) || strings.Contains(b, oldPassword) {
			t.Errorf("an alert holds a secret value")
		}
	}
}

func TestFailingAlertsNeverBlockRestarts(t *testing.T) {
	hook := newWebhook(t, 1000)
	ns := testenv.Namespace(t, k8s, nil)
	opts := fast()
	opts.Alerts = rollout.AlertOptions{WebhookURL: hook.URL, Sink: rollout.SinkWebhook}
	f := startFerry(t, ns, opts)
	create(t, secret(ns, "a", nil, "k", "1"))
	create(t, secret(ns, "b", nil, "k", "1"))
	first := deployment(ns, "first", auto(), pod(container(nil, envFromSecret("a"))))
	second := deployment(ns, "second", auto(), pod(container(nil, envFromSecret("b"))))
	create(t, first)
	create(t, second)
	b1, b2 := waitRecorded(t, first, "secret/a"), waitRecorded(t, second, "secret/b")

	setSecret(t, ns, "a", "k", "2")
	waitRolled(t, first, b1)
	setSecret(t, ns, "b", "k", "2") // while the first alert is still being retried
	waitRolled(t, second, b2)
	testenv.Eventually(t, 30*time.Second, "both alerts given up", func() (bool, error) {
		return f.metric(t, "ferry_rollout_alerts_total", "sink", "webhook", "result", "failed") == 2, nil
	})
	if got := len(hook.received()); got != 8 {
		t.Errorf("webhook got %d requests, want 4 attempts per alert", got)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(hook.received()[0]), &body); err != nil {
		t.Fatal(err)
	}
	if body["kind"] != "Deployment" || body["namespace"] != ns || body["name"] != "first" || body["changed"] != "Secret a" {
		t.Errorf("webhook body %v does not name the workload and the change", body)
	}
}
