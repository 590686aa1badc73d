package changefeed

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferryhq/ferry/internal/fetch"
)

// Metrics are the change feeds' Prometheus series. Labels name stores, sources and
// reasons, never keys or values. A nil *Metrics records nothing.
type Metrics struct {
	events  *prometheus.CounterVec
	refused *prometheus.CounterVec
	healthy *prometheus.GaugeVec
	lag     *prometheus.HistogramVec
}

// Outcomes of a change report.
const (
	// OutcomeMatched: at least one object reads a key of the report.
	OutcomeMatched = "matched"
	// OutcomeIgnored: no object reads any key of the report.
	OutcomeIgnored = "ignored"
)

// NewMetrics registers the series with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	storeLabels := []string{"store_kind", "store_namespace", "store"}
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_change_events_total",
			Help: "Change reports received, by store, source and outcome (matched: some object reads a key of it; ignored: none does).",
		}, append(storeLabels, "source", "outcome")),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_change_events_refused_total",
			Help: "Change reports refused before they named a store (bad signature, replay, malformed, too large, rate limited), by source and reason.",
		}, []string{"source", "reason"}),
		healthy: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ferry_change_feed_healthy",
			Help: "1 while the store's change feed receives (its objects poll at the safety interval), 0 while it fails (they poll at their own intervals).",
		}, storeLabels),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ferry_change_feed_lag_seconds",
			Help:    "Time from the change at the provider (the event's own time) to its receipt by Ferry.",
			Buckets: []float64{0.25, 0.5, 1, 2, 5, 10, 30, 60, 300},
		}, []string{"source"}),
	}
	// The endpoint's series exists from the start, so that dashboards find it empty rather
	// than missing.
	m.lag.WithLabelValues(SourceHTTP)
	for _, c := range []prometheus.Collector{m.events, m.refused, m.healthy, m.lag} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
}

func storeValues(s fetch.StoreID) []string { return []string{s.Kind, s.Namespace, s.Name} }

func (m *Metrics) report(store fetch.StoreID, source string, matched int) {
	if m == nil {
		return
	}
	outcome := OutcomeIgnored
	if matched > 0 {
		outcome = OutcomeMatched
	}
	m.events.WithLabelValues(append(storeValues(store), source, outcome)...).Inc()
}

// Refused counts a report refused before it was read as one, with a constant reason.
func (m *Metrics) Refused(source, reason string) {
	if m == nil {
		return
	}
	m.refused.WithLabelValues(source, reason).Inc()
}

// Lag records how long after the change an event arrived.
func (m *Metrics) Lag(source string, d time.Duration) {
	if m == nil || d < 0 {
		return
	}
	m.lag.WithLabelValues(source).Observe(d.Seconds())
}

func (m *Metrics) feedState(store fetch.StoreID, healthy bool) {
	if m == nil {
		return
	}
	v := 0.0
	if healthy {
		v = 1
	}
	m.healthy.WithLabelValues(storeValues(store)...).Set(v)
}

func (m *Metrics) forgetFeed(store fetch.StoreID) {
	if m == nil {
		return
	}
	m.healthy.DeleteLabelValues(storeValues(store)...)
}
