package metrics

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/version"
)

// Labels chooses how ESO's series are labelled.
type Labels string

const (
	// LabelsESO labels ESO's series as ESO does: name and namespace of each object, so
	// dashboards and alerts written for ESO work unchanged. One series per object.
	LabelsESO Labels = "eso"
	// LabelsLow labels the ExternalSecret series by namespace only (the condition gauge then
	// counts objects) and leaves out the per-object series of the other kinds: the number of
	// series grows with namespaces, not objects.
	LabelsLow Labels = "low"
)

// ParseLabels reads the value of --metrics-labels.
func ParseLabels(s string) (Labels, error) {
	switch l := Labels(s); l {
	case LabelsESO, LabelsLow:
		return l, nil
	}
	return "", fmt.Errorf("metrics labels %q: want %q or %q", s, LabelsESO, LabelsLow)
}

// Metrics records what Ferry does. A nil *Metrics records nothing.
type Metrics struct {
	labels Labels

	// syncCalls and syncErrors count syncs by namespace with LabelsLow; with LabelsESO the
	// ExternalSecret table counts them by object.
	syncCalls     *prometheus.CounterVec
	syncErrors    *prometheus.CounterVec
	syncDuration  *prometheus.HistogramVec
	providerCalls *prometheus.CounterVec
	cacheHits     prometheus.Counter
	coalesced     prometheus.Counter
	clientsBuilt  *prometheus.CounterVec
	secretWrites  *prometheus.CounterVec
	statusWrites  prometheus.Counter
	cached        *prometheus.GaugeVec
	// objects holds the per-object series of each kind; empty with LabelsLow.
	objects map[Kind]*objectTable
}

// Options choose what the metrics show.
type Options struct {
	// Labels labels ESO's series: LabelsESO or LabelsLow.
	Labels Labels
	// ClusterStores reports ClusterSecretStores in ferry_store_status_condition too; false
	// where Ferry serves one namespace and so neither watches nor may list them.
	ClusterStores bool
}

// New creates the metrics and registers them with reg. reader lists ExternalSecrets and
// stores (from the cache) when the gauges computed at scrape time are scraped:
// ferry_externalsecret_not_ready, ferry_store_status_condition and, with LabelsLow,
// externalsecret_status_condition. A nil reader leaves those out.
func New(reg prometheus.Registerer, reader client.Reader, opts Options) (*Metrics, error) {
	labels := opts.Labels
	if _, err := ParseLabels(string(labels)); err != nil {
		return nil, err
	}
	m := &Metrics{labels: labels, objects: map[Kind]*objectTable{}}
	m.providerCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "externalsecret_provider_api_calls_count", Help: "Calls from the fetcher to providers.",
	}, []string{"provider", "call", "status"})
	collectors := []prometheus.Collector{m.providerCalls,
		newExternalSecretCollector(reader, labels == LabelsLow), newStoreCollector(reader, opts.ClusterStores)}
	if labels == LabelsLow {
		m.syncCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: syncCallsName, Help: syncCallsHelp}, []string{"namespace"})
		m.syncErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: syncErrorsName, Help: syncErrorsHelp}, []string{"namespace"})
		collectors = append(collectors, m.syncCalls, m.syncErrors)
	} else {
		for _, kind := range kinds {
			m.objects[kind] = newObjectTable(kind) // served by Handler, not reg
		}
	}
	collectors = append(collectors, m.newFerrySeries()...)
	for _, c := range collectors {
		if err := register(reg, c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// newFerrySeries creates Ferry's own series, which are the same whatever the labels.
func (m *Metrics) newFerrySeries() []prometheus.Collector {
	m.syncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ferry_externalsecret_sync_duration_seconds", Help: "Time a sync takes, from decision to status.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
	}, []string{"result"})
	m.cacheHits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ferry_fetch_cache_hits_total", Help: "Reads served from the fetcher's value cache.",
	})
	m.coalesced = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ferry_fetch_coalesced_reads_total", Help: "Reads that joined an identical read already in flight.",
	})
	m.clientsBuilt = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ferry_provider_clients_built_total", Help: "Provider clients built (each builds fresh credentials).",
	}, []string{"provider", "status"})
	m.secretWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ferry_secret_writes_total", Help: "Writes of target Secrets, by operation.",
	}, []string{"operation"})
	m.statusWrites = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ferry_externalsecret_status_writes_total", Help: "Status writes of ExternalSecrets.",
	})
	m.cached = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ferry_fetch_cached_entries", Help: "What the fetcher kept at its last sweep: remote documents and other cached reads.",
	}, []string{"cache"})
	return []prometheus.Collector{buildInfo(version.Get()), m.syncDuration, m.cacheHits, m.coalesced, m.clientsBuilt,
		m.secretWrites, m.statusWrites, m.cached}
}

// buildInfo is the constant 1 labelled with the running build, so that a query can join any
// series with the version that produced it.
func buildInfo(info version.Info) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ferry_build_info", Help: "The running Ferry build: always 1, labelled with version, commit and Go version.",
		ConstLabels: prometheus.Labels{"version": info.Version, "commit": info.Commit, "goversion": info.GoVersion},
	})
	g.Set(1)
	return g
}

// ESO's sync counters.
const (
	syncCallsName  = "externalsecret_sync_calls_total"
	syncCallsHelp  = "Syncs of ExternalSecrets attempted."
	syncErrorsName = "externalsecret_sync_calls_error"
	syncErrorsHelp = "Syncs of ExternalSecrets that failed."
)

// Sync records one sync attempt of an ExternalSecret and how it ended.
func (m *Metrics) Sync(namespace, name string, took time.Duration, err error) {
	if m == nil {
		return
	}
	result := "success"
	if err != nil {
		result = "error"
	}
	m.syncDuration.WithLabelValues(result).Observe(took.Seconds())
	if m.labels == LabelsLow {
		m.syncCalls.WithLabelValues(namespace).Inc()
		if err != nil {
			m.syncErrors.WithLabelValues(namespace).Inc()
		}
		return
	}
	m.objects[ExternalSecret].update(types.NamespacedName{Namespace: namespace, Name: name}, func(s *objectState) {
		s.calls++
		if err != nil {
			s.errors++
		}
	})
}

// ProviderCall records one call to a provider.
func (m *Metrics) ProviderCall(providerName, call string, err error) {
	if m != nil {
		m.providerCalls.WithLabelValues(providerName, call, outcome(err)).Inc()
	}
}

// CacheHit records a read served from the value cache.
func (m *Metrics) CacheHit() {
	if m != nil {
		m.cacheHits.Inc()
	}
}

// Coalesced records a read that shared an in-flight read.
func (m *Metrics) Coalesced() {
	if m != nil {
		m.coalesced.Inc()
	}
}

// Swept records what the fetcher kept after a sweep: remote documents and other reads.
func (m *Metrics) Swept(documents, values int) {
	if m != nil {
		m.cached.WithLabelValues("documents").Set(float64(documents))
		m.cached.WithLabelValues("values").Set(float64(values))
	}
}

// ClientBuilt records a provider client build.
func (m *Metrics) ClientBuilt(providerName string, err error) {
	if m != nil {
		m.clientsBuilt.WithLabelValues(providerName, outcome(err)).Inc()
	}
}

// SecretWrite records a create, update or delete of a target Secret.
func (m *Metrics) SecretWrite(operation string) {
	if m != nil {
		m.secretWrites.WithLabelValues(operation).Inc()
	}
}

// StatusWrite records a status write of an ExternalSecret.
func (m *Metrics) StatusWrite() {
	if m != nil {
		m.statusWrites.Inc()
	}
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "success"
}

// register registers c, replacing a collector registered earlier under the same names (an
// operator restarted in the same process, as tests do).
func register(reg prometheus.Registerer, c prometheus.Collector) error {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		reg.Unregister(are.ExistingCollector)
		return reg.Register(c)
	}
	return err
}
