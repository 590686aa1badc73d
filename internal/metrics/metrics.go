// Package metrics defines Ferry's Prometheus metrics: the names ESO users already have
// dashboards for (externalsecret_*), and Ferry's own (ferry_*). A value is built in the
// operator and handed to the parts that record; nothing registers from init().
//
// Labels never carry secret values; per-object labels (name) are off unless PerObject is set.
package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/version"
)

// Metrics records what Ferry does. A nil *Metrics records nothing.
type Metrics struct {
	perObject bool

	syncCalls      *prometheus.CounterVec
	syncErrors     *prometheus.CounterVec
	syncDuration   *prometheus.HistogramVec
	providerCalls  *prometheus.CounterVec
	cacheHits      prometheus.Counter
	coalesced      prometheus.Counter
	clientsBuilt   *prometheus.CounterVec
	secretWrites   *prometheus.CounterVec
	statusWrites   prometheus.Counter
	conditionGauge *conditionCollector
}

// Options choose what the metrics show.
type Options struct {
	// PerObject adds a name label to the ExternalSecret series (high cardinality).
	PerObject bool
	// ClusterStores reports ClusterSecretStores too; false where Ferry serves one namespace
	// and so neither watches nor may list them.
	ClusterStores bool
}

// New creates the metrics and registers them with reg. reader lists ExternalSecrets and
// stores (from the cache) when the condition gauges are scraped.
func New(reg prometheus.Registerer, reader client.Reader, opts Options) (*Metrics, error) {
	perObject := opts.PerObject
	objLabels := []string{"namespace"}
	if perObject {
		objLabels = append(objLabels, "name")
	}
	m := &Metrics{
		perObject: perObject,
		syncCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "externalsecret_sync_calls_total", Help: "Syncs of ExternalSecrets attempted.",
		}, objLabels),
		syncErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "externalsecret_sync_calls_error", Help: "Syncs of ExternalSecrets that failed.",
		}, objLabels),
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ferry_externalsecret_sync_duration_seconds", Help: "Time a sync takes, from decision to status.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"result"}),
		providerCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "externalsecret_provider_api_calls_count", Help: "Calls from the fetcher to providers.",
		}, []string{"provider", "call", "status"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ferry_fetch_cache_hits_total", Help: "Reads served from the fetcher's value cache.",
		}),
		coalesced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ferry_fetch_coalesced_reads_total", Help: "Reads that joined an identical read already in flight.",
		}),
		clientsBuilt: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_provider_clients_built_total", Help: "Provider clients built (each builds fresh credentials).",
		}, []string{"provider", "status"}),
		secretWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_secret_writes_total", Help: "Writes of target Secrets, by operation.",
		}, []string{"operation"}),
		statusWrites: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ferry_externalsecret_status_writes_total", Help: "Status writes of ExternalSecrets.",
		}),
		conditionGauge: &conditionCollector{reader: reader, perObject: perObject, desc: prometheus.NewDesc(
			"externalsecret_status_condition", "ExternalSecrets by condition and status (1 per object, or a count per namespace).",
			append(objLabels, "condition", "status"), nil),
			notReady: prometheus.NewDesc("ferry_externalsecret_not_ready",
				"ExternalSecrets whose Ready condition is False, by the condition's reason.", []string{"namespace", "reason"}, nil)},
	}
	for _, c := range []prometheus.Collector{buildInfo(version.Get()), m.syncCalls, m.syncErrors, m.syncDuration, m.providerCalls, m.cacheHits,
		m.coalesced, m.clientsBuilt, m.secretWrites, m.statusWrites, m.conditionGauge, newStoreCollector(reader, opts.ClusterStores)} {
		if err := register(reg, c); err != nil {
			return nil, err
		}
	}
	return m, nil
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

func (m *Metrics) objectLabels(namespace, name string) []string {
	if m.perObject {
		return []string{namespace, name}
	}
	return []string{namespace}
}

// Sync records one sync attempt of an ExternalSecret and how it ended.
func (m *Metrics) Sync(namespace, name string, took time.Duration, err error) {
	if m == nil {
		return
	}
	m.syncCalls.WithLabelValues(m.objectLabels(namespace, name)...).Inc()
	result := "success"
	if err != nil {
		result = "error"
		m.syncErrors.WithLabelValues(m.objectLabels(namespace, name)...).Inc()
	}
	m.syncDuration.WithLabelValues(result).Observe(took.Seconds())
}

// ProviderCall records one call to a provider.
func (m *Metrics) ProviderCall(providerName, call string, err error) {
	if m == nil {
		return
	}
	status := "success"
	if err != nil {
		status = "error"
	}
	m.providerCalls.WithLabelValues(providerName, call, status).Inc()
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

// ClientBuilt records a provider client build.
func (m *Metrics) ClientBuilt(providerName string, err error) {
	if m == nil {
		return
	}
	status := "success"
	if err != nil {
		status = "error"
	}
	m.clientsBuilt.WithLabelValues(providerName, status).Inc()
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

// conditionCollector computes externalsecret_status_condition at scrape time from the
// cache, so no per-object state is kept between scrapes.
type conditionCollector struct {
	reader    client.Reader
	perObject bool
	desc      *prometheus.Desc
	notReady  *prometheus.Desc
}

func (c *conditionCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc; ch <- c.notReady }

func (c *conditionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var list esv1.ExternalSecretList
	if err := c.reader.List(ctx, &list); err != nil {
		return
	}
	type key struct{ namespace, name, condition, status string }
	type reasonKey struct{ namespace, reason string }
	counts := map[key]float64{}
	notReady := map[reasonKey]float64{}
	for i := range list.Items {
		es := &list.Items[i]
		for _, cond := range es.Status.Conditions {
			k := key{namespace: es.Namespace, condition: string(cond.Type), status: string(cond.Status)}
			if c.perObject {
				k.name = es.Name
			}
			counts[k]++
			if cond.Type == esv1.ExternalSecretReady && cond.Status == corev1.ConditionFalse {
				notReady[reasonKey{es.Namespace, cond.Reason}]++
			}
		}
	}
	for k, v := range notReady {
		ch <- prometheus.MustNewConstMetric(c.notReady, prometheus.GaugeValue, v, k.namespace, k.reason)
	}
	for k, v := range counts {
		labels := []string{k.namespace}
		if c.perObject {
			labels = append(labels, k.name)
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, append(labels, k.condition, k.status)...)
	}
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
