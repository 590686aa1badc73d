package metrics_test

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/metrics"
)

// newMetrics returns new metrics and what a scrape of their /metrics handler shows.
func newMetrics(t *testing.T, labels metrics.Labels, reader client.Reader) (*metrics.Metrics, prometheus.Gatherer) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, reader, metrics.Options{Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	return m, scraper{metrics.Handler(reg, m), ""}
}

// scraper gathers what a scrape of handler shows, parsed as Prometheus parses it.
type scraper struct {
	handler        http.Handler
	acceptEncoding string
}

func (s scraper) Gather() ([]*dto.MetricFamily, error) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	r.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
	r.Header.Set("Accept-Encoding", s.acceptEncoding)
	s.handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		return nil, fmt.Errorf("scrape: %d %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); expfmt.ResponseFormat(w.Header()).FormatType() != expfmt.TypeTextPlain {
		return nil, fmt.Errorf("scrape: content type %q, want the text format", ct)
	}
	var body io.Reader = w.Body
	if w.Header().Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(w.Body)
		if err != nil {
			return nil, err
		}
		body = gz
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	byName, err := parser.TextToMetricFamilies(body)
	if err != nil {
		return nil, err
	}
	families := slices.Collect(maps.Values(byName))
	slices.SortFunc(families, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return families, nil
}

func compare(t *testing.T, reg prometheus.Gatherer, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

var db = types.NamespacedName{Namespace: "team-a", Name: "db"}

// TestExternalSecretSeriesWithESOLabels checks the four externalsecret_* series a user's ESO
// dashboards read, with ESO's names, types and labels, after two syncs (one failed).
func TestExternalSecretSeriesWithESOLabels(t *testing.T) {
	m, reg := newMetrics(t, metrics.LabelsESO, nil)
	m.Sync(db.Namespace, db.Name, time.Millisecond, nil)
	m.Sync(db.Namespace, db.Name, time.Millisecond, errors.New("provider down"))
	m.Reconciled(metrics.ExternalSecret, db, "True", 1500*time.Microsecond)
	m.ProviderCall("aws", "GetSecret", nil)

	compare(t, reg, `
# HELP externalsecret_sync_calls_total Syncs of ExternalSecrets attempted.
# TYPE externalsecret_sync_calls_total counter
externalsecret_sync_calls_total{name="db",namespace="team-a"} 2
# HELP externalsecret_sync_calls_error Syncs of ExternalSecrets that failed.
# TYPE externalsecret_sync_calls_error counter
externalsecret_sync_calls_error{name="db",namespace="team-a"} 1
# HELP externalsecret_status_condition Status of the Ready condition of each externalsecret: 1 for its current status, 0 for the opposite one.
# TYPE externalsecret_status_condition gauge
externalsecret_status_condition{condition="Ready",name="db",namespace="team-a",status="False"} 0
externalsecret_status_condition{condition="Ready",name="db",namespace="team-a",status="True"} 1
# HELP externalsecret_reconcile_duration Duration of the last reconcile of each externalsecret, in nanoseconds (as ESO reports it).
# TYPE externalsecret_reconcile_duration gauge
externalsecret_reconcile_duration{name="db",namespace="team-a"} 1.5e+06
# HELP externalsecret_provider_api_calls_count Calls from the fetcher to providers.
# TYPE externalsecret_provider_api_calls_count counter
externalsecret_provider_api_calls_count{call="GetSecret",provider="aws",status="success"} 1
`, "externalsecret_sync_calls_total", "externalsecret_sync_calls_error", "externalsecret_status_condition",
		"externalsecret_reconcile_duration", "externalsecret_provider_api_calls_count")
}

// TestScrapeWritesValidText checks the per-object series the handler writes itself: label
// values that need escaping, gzip when the scraper accepts it, and the registry's series
// beside them, all read back by Prometheus' own parser.
func TestScrapeWritesValidText(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, nil, metrics.Options{Labels: metrics.LabelsESO})
	if err != nil {
		t.Fatal(err)
	}
	// Kubernetes names cannot hold these; the writer escapes them all the same.
	odd := types.NamespacedName{Namespace: "team-a", Name: "a\\b\"c\nd"}
	m.Sync(odd.Namespace, odd.Name, time.Millisecond, nil)
	m.Reconciled(metrics.ExternalSecret, odd, "Unknown", 0)
	m.StatusWrite()
	for _, encoding := range []string{"", "gzip", "deflate, gzip;q=0.5"} {
		got := gather(t, scraper{metrics.Handler(reg, m), encoding})
		series := func(name, before, after string) string {
			return name + "{" + before + `name="` + odd.Name + `",namespace="team-a"` + after + "}"
		}
		for series, want := range map[string]float64{
			series("externalsecret_sync_calls_total", "", ""):                                    1,
			series("externalsecret_status_condition", `condition="Ready",`, `,status="Unknown"`): 1,
			series("externalsecret_reconcile_duration", "", ""):                                  0,
			"ferry_externalsecret_status_writes_total":                                           1,
		} {
			if v, ok := got[series]; !ok || v != want {
				t.Errorf("Accept-Encoding %q: %s = %v (present %v), want %v; got %v", encoding, series, v, ok, want, got)
			}
		}
	}
}

// TestConditionFollowsReady walks an object through Ready True → False → Unknown → True: the
// current status reads 1, the opposite 0, and Unknown stands alone.
func TestConditionFollowsReady(t *testing.T) {
	m, reg := newMetrics(t, metrics.LabelsESO, nil)
	series := func(status string) string {
		return `secretstore_status_condition{condition="Ready",name="db",namespace="team-a",status="` + status + `"}`
	}
	for _, step := range []struct {
		ready string
		want  map[string]float64 // by status; a status not listed has no series
	}{
		{"True", map[string]float64{"True": 1, "False": 0}},
		{"False", map[string]float64{"True": 0, "False": 1}},
		{"Unknown", map[string]float64{"Unknown": 1}},
		{"", map[string]float64{"Unknown": 1}}, // no condition computed: unchanged
		{"Bogus", map[string]float64{"Unknown": 1}},
		{"True", map[string]float64{"True": 1, "False": 0}},
	} {
		m.Reconciled(metrics.SecretStore, db, step.ready, time.Second)
		got := gather(t, reg, "secretstore_status_condition")
		for _, status := range []string{"True", "False", "Unknown"} {
			v, ok := got[series(status)]
			want, wantOK := step.want[status]
			if ok != wantOK || v != want {
				t.Errorf("after Ready=%q: %s = %v (present %v), want %v (present %v)", step.ready, series(status), v, ok, want, wantOK)
			}
		}
	}
}

// TestEveryKindHasESOSeries checks the status_condition and reconcile_duration gauges of each
// kind ESO reports, cluster-scoped kinds with an empty namespace as ESO writes them.
func TestEveryKindHasESOSeries(t *testing.T) {
	m, reg := newMetrics(t, metrics.LabelsESO, nil)
	cluster := types.NamespacedName{Name: "shared"}
	m.Reconciled(metrics.ExternalSecret, db, "True", time.Second)
	m.Reconciled(metrics.SecretStore, db, "True", time.Second)
	m.Reconciled(metrics.PushSecret, db, "False", time.Second)
	m.Reconciled(metrics.ClusterSecretStore, cluster, "True", time.Second)
	m.Reconciled(metrics.ClusterExternalSecret, cluster, "True", time.Second)
	got := gather(t, reg)
	for _, series := range []string{
		`externalsecret_status_condition{condition="Ready",name="db",namespace="team-a",status="True"}`,
		`externalsecret_reconcile_duration{name="db",namespace="team-a"}`,
		`secretstore_status_condition{condition="Ready",name="db",namespace="team-a",status="True"}`,
		`secretstore_reconcile_duration{name="db",namespace="team-a"}`,
		`pushsecret_status_condition{condition="Ready",name="db",namespace="team-a",status="False"}`,
		`pushsecret_reconcile_duration{name="db",namespace="team-a"}`,
		`clustersecretstore_status_condition{condition="Ready",name="shared",namespace="",status="True"}`,
		`clustersecretstore_reconcile_duration{name="shared",namespace=""}`,
		`clusterexternalsecret_status_condition{condition="Ready",name="shared",namespace="",status="True"}`,
		`clusterexternalsecret_reconcile_duration{name="shared",namespace=""}`,
	} {
		if v, ok := got[series]; !ok || v == 0 {
			t.Errorf("%s = %v (present %v), want a non-zero value", series, v, ok)
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(""), "externalsecret_status_condition"); err == nil {
		t.Error("comparison against no series passed; the check above cannot be trusted")
	}
}

// TestForgetRemovesTheObjectsSeries checks that a deleted object leaves no series behind
// and that the series of another object stay.
func TestForgetRemovesTheObjectsSeries(t *testing.T) {
	m, reg := newMetrics(t, metrics.LabelsESO, nil)
	other := types.NamespacedName{Namespace: "team-a", Name: "cache"}
	for _, key := range []types.NamespacedName{db, other} {
		m.Sync(key.Namespace, key.Name, time.Millisecond, errors.New("down"))
		m.Reconciled(metrics.ExternalSecret, key, "False", time.Second)
		m.Reconciled(metrics.PushSecret, key, "Unknown", time.Second)
	}
	m.Forget(metrics.ExternalSecret, db)
	m.Forget(metrics.PushSecret, db)
	for series := range gather(t, reg) {
		if strings.Contains(series, `name="db"`) {
			t.Errorf("series of the deleted object left: %s", series)
		}
	}
	for name, want := range map[string]int{
		"externalsecret_sync_calls_total": 1, "externalsecret_sync_calls_error": 1,
		"externalsecret_status_condition": 2, "externalsecret_reconcile_duration": 1,
		"pushsecret_status_condition": 1, "pushsecret_reconcile_duration": 1,
	} {
		if got := count(t, reg, name); got != want {
			t.Errorf("%s has %d series after the other object was deleted, want %d", name, got, want)
		}
	}
	m.Forget(metrics.ClusterSecretStore, types.NamespacedName{Name: "never-seen"}) // no series: no panic
}

// TestLowLabels checks --metrics-labels=low: namespace-only ExternalSecret series, the
// condition gauge counting objects per namespace, and no per-object series of any kind.
func TestLowLabels(t *testing.T) {
	reader := listReader{items: []esv1.ExternalSecret{
		withReady("team-a", "db", "True"), withReady("team-a", "cache", "True"), withReady("team-b", "db", "False"),
	}}
	m, reg := newMetrics(t, metrics.LabelsLow, reader)
	m.Sync("team-a", "db", time.Millisecond, nil)
	m.Sync("team-a", "cache", time.Millisecond, errors.New("down"))
	for _, kind := range []metrics.Kind{metrics.ExternalSecret, metrics.SecretStore, metrics.ClusterSecretStore,
		metrics.PushSecret, metrics.ClusterExternalSecret, metrics.ClusterPushSecret} {
		m.Reconciled(kind, db, "True", time.Second)
		m.Forget(kind, types.NamespacedName{Name: "gone"})
	}
	compare(t, reg, `
# HELP externalsecret_sync_calls_total Syncs of ExternalSecrets attempted.
# TYPE externalsecret_sync_calls_total counter
externalsecret_sync_calls_total{namespace="team-a"} 2
# HELP externalsecret_sync_calls_error Syncs of ExternalSecrets that failed.
# TYPE externalsecret_sync_calls_error counter
externalsecret_sync_calls_error{namespace="team-a"} 1
# HELP externalsecret_status_condition ExternalSecrets of each namespace by condition and status.
# TYPE externalsecret_status_condition gauge
externalsecret_status_condition{condition="Ready",namespace="team-a",status="True"} 2
externalsecret_status_condition{condition="Ready",namespace="team-b",status="False"} 1
`, "externalsecret_sync_calls_total", "externalsecret_sync_calls_error", "externalsecret_status_condition")
	for series := range gather(t, reg) {
		if strings.Contains(series, "name=") || strings.Contains(series, "_reconcile_duration") {
			t.Errorf("per-object series with low labels: %s", series)
		}
	}
}

// TestFerrySeriesInBothModes checks that Ferry's own series do not depend on the labels.
func TestFerrySeriesInBothModes(t *testing.T) {
	failing := withReady("team-b", "db", "False")
	failing.Status.Conditions[0].Reason = esv1.ReasonStoreNotFound
	reader := listReader{items: []esv1.ExternalSecret{failing, withReady("team-b", "cache", "True")}}
	for _, labels := range []metrics.Labels{metrics.LabelsESO, metrics.LabelsLow} {
		m, reg := newMetrics(t, labels, reader)
		m.Sync("team-a", "db", 20*time.Millisecond, nil)
		m.CacheHit()
		m.Coalesced()
		m.ClientBuilt("vault", errors.New("login refused"))
		m.SecretWrite("create")
		m.StatusWrite()
		m.Swept(1, 1)
		got := gather(t, reg)
		for _, series := range []string{
			`ferry_externalsecret_sync_duration_seconds_count{result="success"}`,
			`ferry_fetch_cache_hits_total`, `ferry_fetch_coalesced_reads_total`,
			`ferry_fetch_cached_entries{cache="documents"}`, `ferry_fetch_cached_entries{cache="values"}`,
			`ferry_provider_clients_built_total{provider="vault",status="error"}`,
			`ferry_secret_writes_total{operation="create"}`, `ferry_externalsecret_status_writes_total`,
			`ferry_externalsecret_not_ready{namespace="team-b",reason="StoreNotFound"}`,
		} {
			if got[series] != 1 {
				t.Errorf("labels %s: %s = %v, want 1", labels, series, got[series])
			}
		}
		if n := count(t, reg, "ferry_build_info"); n != 1 {
			t.Errorf("labels %s: %d ferry_build_info series, want 1", labels, n)
		}
	}
}

// TestNewAgainReplacesTheSeries checks that an operator built twice in one process (as tests
// do) registers again and starts from zero.
func TestNewAgainReplacesTheSeries(t *testing.T) {
	registry := prometheus.NewRegistry()
	first, err := metrics.New(registry, nil, metrics.Options{Labels: metrics.LabelsESO})
	if err != nil {
		t.Fatal(err)
	}
	first.Sync("team-a", "db", time.Millisecond, nil)
	second, err := metrics.New(registry, nil, metrics.Options{Labels: metrics.LabelsESO})
	if err != nil {
		t.Fatalf("second New: %v", err)
	}
	reg := scraper{metrics.Handler(registry, second), ""}
	second.Reconciled(metrics.SecretStore, db, "True", time.Second)
	if n := count(t, reg, "externalsecret_sync_calls_total"); n != 0 {
		t.Errorf("the first operator's series survived: %d", n)
	}
	if n := count(t, reg, "secretstore_status_condition"); n != 2 {
		t.Errorf("secretstore_status_condition has %d series, want 2", n)
	}
}

func TestParseLabels(t *testing.T) {
	for in, want := range map[string]metrics.Labels{"eso": metrics.LabelsESO, "low": metrics.LabelsLow} {
		if got, err := metrics.ParseLabels(in); err != nil || got != want {
			t.Errorf("ParseLabels(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ESO", "high"} {
		if _, err := metrics.ParseLabels(in); err == nil {
			t.Errorf("ParseLabels(%q) accepted", in)
		}
	}
	if _, err := metrics.New(prometheus.NewRegistry(), nil, metrics.Options{Labels: "per-object"}); err == nil {
		t.Error("New accepted unknown labels")
	}
}

// TestNilRecordsNothing checks that parts built without metrics (tests, the CLI) may call
// every method.
func TestNilRecordsNothing(t *testing.T) {
	var m *metrics.Metrics
	m.Sync("a", "b", time.Second, nil)
	m.Reconciled(metrics.ExternalSecret, db, "True", time.Second)
	m.Forget(metrics.ExternalSecret, db)
	m.ProviderCall("fake", "GetSecret", nil)
	m.CacheHit()
	m.Coalesced()
	m.ClientBuilt("fake", nil)
	m.SecretWrite("create")
	m.StatusWrite()
}

// count returns how many series the family name has in g.
func count(t *testing.T, g prometheus.Gatherer, name string) int {
	t.Helper()
	n, err := testutil.GatherAndCount(g, name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// gather returns every sample of reg (or of the named families) by its series,
// name{label="value",...} with labels sorted, as the exposition writes them.
func gather(t *testing.T, reg prometheus.Gatherer, names ...string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if len(names) > 0 && !slices.Contains(names, f.GetName()) {
			continue
		}
		for _, metric := range f.GetMetric() {
			var labels []string
			for _, l := range metric.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			series := f.GetName()
			if len(labels) > 0 {
				series += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case metric.GetCounter() != nil:
				out[series] = metric.GetCounter().GetValue()
			case metric.GetGauge() != nil:
				out[series] = metric.GetGauge().GetValue()
			case metric.GetHistogram() != nil:
				out[f.GetName()+"_count{"+strings.Join(labels, ",")+"}"] = float64(metric.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// listReader serves a fixed list of ExternalSecrets, as the manager's cache would.
type listReader struct {
	client.Reader
	items []esv1.ExternalSecret
}

func (r listReader) List(_ context.Context, list client.ObjectList, _ ...client.ListOption) error {
	if l, ok := list.(*esv1.ExternalSecretList); ok {
		l.Items = r.items
	}
	return nil
}

func withReady(namespace, name, status string) esv1.ExternalSecret {
	return esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Status: esv1.ExternalSecretStatus{Conditions: []esv1.ExternalSecretStatusCondition{
			{Type: esv1.ExternalSecretReady, Status: corev1.ConditionStatus(status)},
		}},
	}
}

// BenchmarkSeriesMemory reports the heap that ESO's per-object series of 10,000
// ExternalSecrets hold (Ready, reconciled and synced once each), in bytes per object.
func BenchmarkSeriesMemory(b *testing.B) {
	const n = 10_000
	keys := make([]types.NamespacedName, n)
	for i := range keys {
		keys[i] = types.NamespacedName{Namespace: fmt.Sprintf("ns-%03d", i/100), Name: fmt.Sprintf("es-%05d", i)}
	}
	var perObject float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := metrics.New(prometheus.NewRegistry(), nil, metrics.Options{Labels: metrics.LabelsESO})
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range keys {
			m.Sync(k.Namespace, k.Name, time.Millisecond, nil)
			m.Reconciled(metrics.ExternalSecret, k, "True", time.Millisecond)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perObject = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(m)
	}
	b.ReportMetric(perObject, "heap-B/object")
}

// BenchmarkScrape reports what one scrape of /metrics allocates with ESO's per-object series
// of 10,000 ExternalSecrets (Ready, reconciled and synced once each): a transient that
// Prometheus repeats every scrape interval and that adds to the operator's peak memory.
func BenchmarkScrape(b *testing.B) {
	const n = 10_000
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, nil, metrics.Options{Labels: metrics.LabelsESO})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		k := types.NamespacedName{Namespace: fmt.Sprintf("ns-%03d", i/100), Name: fmt.Sprintf("es-%05d", i)}
		m.Sync(k.Namespace, k.Name, time.Millisecond, nil)
		m.Reconciled(metrics.ExternalSecret, k, "True", time.Millisecond)
	}
	handler := metrics.Handler(reg, m)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		size = w.Body.Len()
	}
	b.ReportMetric(float64(size), "body-B")
}
