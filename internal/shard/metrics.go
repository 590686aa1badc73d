package shard

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are a replica's sharding series. A nil *Metrics records nothing.
type Metrics struct {
	gate     *Gate
	handoffs *prometheus.CounterVec
}

// NewMetrics registers the sharding series on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ferry_shard_handoffs_total",
		Help: "Shards this replica acquired, released (moved to another replica) or let expire (renewal failed), by event.",
	}, []string{"event"})}
	for _, event := range []string{"acquired", "released", "expired"} {
		m.handoffs.WithLabelValues(event)
	}
	if err := reg.Register(m.handoffs); err != nil {
		return nil, err
	}
	if err := reg.Register(&collector{m: m}); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Metrics) handoff(event string) {
	if m == nil {
		return
	}
	m.handoffs.WithLabelValues(event).Inc()
}

var (
	shardsOwnedDesc = prometheus.NewDesc("ferry_shards_owned",
		"Shards this replica holds and works on.", nil, nil)
	membersDesc = prometheus.NewDesc("ferry_shard_members",
		"Replicas this replica saw alive at its last look at the member Leases.", nil, nil)
	objectsOwnedDesc = prometheus.NewDesc("ferry_shard_objects_owned",
		"Objects of each sharded kind in the shards this replica holds.", []string{"kind"}, nil)
	objectsCachedDesc = prometheus.NewDesc("ferry_shard_objects_cached",
		"Objects of each sharded kind in this replica's informer cache: with --shard-key=namespace, those of "+
			"the shards it holds (or is taking over); otherwise every object.", []string{"kind"}, nil)
)

// collector computes the gauges at scrape time from the gate and the manager's cache.
type collector struct{ m *Metrics }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- shardsOwnedDesc
	ch <- membersDesc
	ch <- objectsOwnedDesc
	ch <- objectsCachedDesc
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	g := c.m.gate
	if g == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(shardsOwnedDesc, prometheus.GaugeValue, float64(len(g.heldShards())))
	ch <- prometheus.MustNewConstMetric(membersDesc, prometheus.GaugeValue, float64(len(g.Members())))
	g.mu.Lock()
	filters := append([]*Filter(nil), g.filters...)
	g.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	seen := map[string]bool{}
	for _, f := range filters {
		if seen[f.kind] {
			continue // rollout registers a kind once, but be safe
		}
		seen[f.kind] = true
		owned, cached, err := f.owned(ctx)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(objectsOwnedDesc, prometheus.GaugeValue, float64(owned), f.kind)
		ch <- prometheus.MustNewConstMetric(objectsCachedDesc, prometheus.GaugeValue, float64(cached), f.kind)
	}
}
