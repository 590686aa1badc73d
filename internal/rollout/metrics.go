package rollout

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts restarts and restarts held back, by workload kind only: no label names an
// object, so their number stays bounded.
type metrics struct {
	rollouts *prometheus.CounterVec
	skipped  *prometheus.CounterVec
	alerts   *prometheus.CounterVec
	halted   prometheus.Gauge
}

// newMetrics registers the counters on reg, reusing them when a previous manager in the same
// process registered them already.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	rollouts, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ferry_rollouts_total",
		Help: "Workload restarts Ferry triggered because a Secret or ConfigMap they use changed.",
	}, []string{"kind"}))
	if err != nil {
		return nil, err
	}
	skipped, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ferry_rollouts_skipped_total",
		Help: "Workload restarts held back (reason: paused, min-interval, rate-limit, halted); held-back restarts are retried, except while paused.",
	}, []string{"kind", "reason"}))
	if err != nil {
		return nil, err
	}
	alerts, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ferry_rollout_alerts_total",
		Help: "Restart alerts, by sink and result (sent, failed after every attempt, dropped because the queue was full).",
	}, []string{"sink", "result"}))
	if err != nil {
		return nil, err
	}
	halted := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ferry_rollout_train_halted",
		Help: "Workloads Ferry restarted that have not gone healthy and hold every other restart (--rollout-stop-on-unhealthy).",
	})
	if err := reg.Register(halted); err != nil {
		var already prometheus.AlreadyRegisteredError
		if !errors.As(err, &already) {
			return nil, err
		}
		halted, _ = already.ExistingCollector.(prometheus.Gauge)
	}
	return &metrics{rollouts: rollouts, skipped: skipped, alerts: alerts, halted: halted}, nil
}

func register(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	var already prometheus.AlreadyRegisteredError
	if errors.As(err, &already) {
		if existing, ok := already.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return c, err
}
