package changefeed

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/time/rate"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
)

const key = "shared-hmac-key"

// endpointWithReader serves an Endpoint whose fetcher has one object reading key "db" of
// SecretStore ns/s.
func endpointWithReader(t *testing.T, limiter *rate.Limiter) (*httptest.Server, *Hub) {
	t.Helper()
	f := fetch.New(provider.NewRegistry(fake.New()), nil, fetch.Options{})
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", UID: "u", Generation: 1},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{
			Data: []esv1.FakeProviderData{{Key: "db", Value: "v"}}}}}}
	reader := fetch.Reader{Kind: esv1.ExtSecretKind, Namespace: "ns", Name: "app"}
	if _, err := f.GetSecret(context.Background(), fetch.Source{Store: store, Namespace: "ns", Reader: reader},
		esv1.ExternalSecretDataRemoteRef{Key: "db"}); err != nil {
		t.Fatal(err)
	}
	hub := NewHub(f, 0, nil)
	e := &Endpoint{Hub: hub, Limiter: limiter, Credentials: func(context.Context) (Credentials, error) {
		return Credentials{HMACKey: []byte(key), Token: []byte("tok")}, nil
	}}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, hub
}

func post(t *testing.T, url string, body []byte, header map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func signed(body []byte, ts string, k string) map[string]string {
	mac := hmac.New(sha256.New, []byte(k))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return map[string]string{HeaderTimestamp: ts, HeaderSignature: "sha256=" + hex.EncodeToString(mac.Sum(nil))}
}

func TestEndpointRoutesOnlyAuthenticFreshReports(t *testing.T) {
	srv, hub := endpointWithReader(t, nil)
	reader := fetch.Reader{Kind: esv1.ExtSecretKind, Namespace: "ns", Name: "app"}
	body := []byte(`{"store":{"namespace":"ns","name":"s"},"keys":["db"]}`)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	old := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	for _, tt := range []struct {
		name   string
		body   []byte
		header map[string]string
		status int
	}{
		{"no authentication", body, map[string]string{HeaderTimestamp: now}, http.StatusUnauthorized},
		{"wrong key", body, signed(body, now, "guess"), http.StatusUnauthorized},
		{"signature of another body", []byte(`{"store":{"namespace":"ns","name":"s"},"keys":["db","x"]}`), signed(body, now, key), http.StatusUnauthorized},
		{"signature of another timestamp", body, map[string]string{HeaderTimestamp: old, HeaderSignature: signed(body, now, key)[HeaderSignature]}, http.StatusUnauthorized},
		{"stale", body, signed(body, old, key), http.StatusUnauthorized},
		{"wrong token", body, map[string]string{HeaderTimestamp: now, "Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"unknown field", []byte(`{"store":{"namespace":"ns","name":"s"},"keys":["db"],"value":"x"}`), nil, http.StatusBadRequest},
		{"no keys", []byte(`{"store":{"namespace":"ns","name":"s"},"keys":[]}`), nil, http.StatusBadRequest},
		{"SecretStore without namespace", []byte(`{"store":{"name":"s"},"keys":["db"]}`), nil, http.StatusBadRequest},
		{"other kind", []byte(`{"store":{"kind":"Pod","namespace":"ns","name":"s"},"keys":["db"]}`), nil, http.StatusBadRequest},
		{"too large", append([]byte(`{"keys":["`), bytes.Repeat([]byte("a"), DefaultMaxBody)...), nil, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = signed(tt.body, now, key)
			}
			if got := post(t, srv.URL, tt.body, h); got != tt.status {
				t.Errorf("status %d, want %d", got, tt.status)
			}
			if hub.Pending(reader) {
				t.Fatal("a refused report reached the object")
			}
		})
	}
	if got := post(t, srv.URL, body, signed(body, now, key)); got != http.StatusAccepted || !hub.Pending(reader) {
		t.Fatalf("a signed report: status %d, pending %v; want 202 and the object pending", got, hub.Pending(reader))
	}
	if got := post(t, srv.URL, body, signed(body, now, key)); got != http.StatusConflict {
		t.Errorf("the same report again: status %d, want 409 (replayed)", got)
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", resp.StatusCode)
	}
}

func TestEndpointRateLimits(t *testing.T) {
	srv, _ := endpointWithReader(t, rate.NewLimiter(0, 2))
	codes := map[int]int{}
	for i := range 5 {
		body := []byte(`{"store":{"namespace":"ns","name":"s"},"keys":["k` + strconv.Itoa(i) + `"]}`)
		codes[post(t, srv.URL, body, signed(body, strconv.FormatInt(time.Now().Unix(), 10), key))]++
	}
	if codes[http.StatusAccepted] != 2 || codes[http.StatusTooManyRequests] != 3 {
		t.Errorf("statuses %v, want 2 accepted and 3 rate limited", codes)
	}
}

func TestCoveredOnlyWhileEveryStoreFeedIsHealthy(t *testing.T) {
	hub := NewHub(fetch.New(provider.NewRegistry(), nil, fetch.Options{}), 0, nil)
	a := fetch.StoreID{Kind: esv1.SecretStoreKind, Namespace: "ns", Name: "a"}
	b := fetch.StoreID{Kind: esv1.ClusterSecretStoreKind, Name: "b"}
	hub.SetFeed(a, FeedState{Healthy: true})
	if !hub.Covered([]fetch.StoreID{a}) || hub.Covered([]fetch.StoreID{a, b}) || hub.Covered(nil) {
		t.Fatal("covered must mean: every store named has a healthy feed")
	}
	hub.SetFeed(a, FeedState{Reason: ReasonFeedFailing})
	if hub.Covered([]fetch.StoreID{a}) {
		t.Fatal("a failing feed still covers its store")
	}
	hub.SetFeed(a, FeedState{Healthy: true})
	hub.RemoveFeed(a)
	if hub.Covered([]fetch.StoreID{a}) {
		t.Fatal("a removed feed still covers its store")
	}
	if hub.SafetyInterval() != DefaultSafetyInterval {
		t.Errorf("safety interval %v, want the default", hub.SafetyInterval())
	}
}

func TestFeedConditionFollowsTheFeed(t *testing.T) {
	var status esv1.SecretStoreStatus
	if !SetFeedCondition(&status, &FeedState{Reason: ReasonFeedStarting}) || status.Conditions[0].Status != metav1.ConditionFalse {
		t.Fatalf("starting feed: %+v", status.Conditions)
	}
	if !SetFeedCondition(&status, &FeedState{Healthy: true, Reason: ReasonFeedReceiving}) || status.Conditions[0].Status != metav1.ConditionTrue {
		t.Fatalf("healthy feed: %+v", status.Conditions)
	}
	if SetFeedCondition(&status, &FeedState{Healthy: true, Reason: ReasonFeedReceiving}) {
		t.Error("an unchanged state rewrote the condition")
	}
	if !SetFeedCondition(&status, nil) || len(status.Conditions) != 0 {
		t.Errorf("no feed left the condition: %+v", status.Conditions)
	}
}

// TestEndpointRecordsLag: an accepted report's lag is its X-Ferry-Timestamp's age, under
// source "http"; the series is there, empty, before any report.
func TestEndpointRecordsLag(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.lag, "ferry_change_feed_lag_seconds"); n != 1 {
		t.Fatalf("%d lag series before any report, want the http one", n)
	}
	srv, hub := endpointWithReader(t, nil)
	srv.Config.Handler.(*Endpoint).Metrics = m
	body := []byte(`{"store":{"namespace":"ns","name":"s"},"keys":["db"]}`)
	sent := strconv.FormatInt(time.Now().Add(-3*time.Second).Unix(), 10)
	if got := post(t, srv.URL, body, signed(body, sent, key)); got != http.StatusAccepted {
		t.Fatalf("status %d, want 202", got)
	}
	if !hub.Pending(fetch.Reader{Kind: esv1.ExtSecretKind, Namespace: "ns", Name: "app"}) {
		t.Fatal("the report did not reach the object")
	}
	var h dto.Metric
	if err := m.lag.WithLabelValues(SourceHTTP).(prometheus.Histogram).Write(&h); err != nil {
		t.Fatal(err)
	}
	if n, sum := h.GetHistogram().GetSampleCount(), h.GetHistogram().GetSampleSum(); n != 1 || sum < 3 || sum > 60 {
		t.Errorf("lag: %d samples summing %.1fs, want one of about 3s", n, sum)
	}
}
