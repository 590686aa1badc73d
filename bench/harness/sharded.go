package harness

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Sharding's Lease timings in the sharded phase: short, so the shards settle within seconds.
const shardedLeaseFlags = " --leader-elect=true --sharding=on --leader-election-lease-duration=4s" +
	" --leader-election-renew-deadline=3s --leader-election-retry-period=500ms"

// sharded replaces the operator with cfg.Sharded Ferry replicas with --sharding=on, started
// together with every object in sync, and records each replica's memory once the API
// requests have stopped: the memory per replica that sharding leaves, to set beside the
// single operator's warm restart (the same work: verify N objects already in sync).
func (r *run) sharded(ctx context.Context) error {
	cfg, res := &r.cfg, r.res
	if !strings.Contains(cfg.Operator, "{ferry}") {
		return fmt.Errorf("the sharded phase runs Ferry's --sharding=on: -operator must use {ferry}")
	}
	if r.op != nil {
		r.notePeak()
		r.op.stop()
		r.op = nil
	}
	command := strings.Replace(cfg.Operator, "--leader-elect=false", "", 1) + shardedLeaseFlags
	keepMetrics := *cfg
	keepMetrics.MetricsAddr = "{metrics}"
	set := &replicaSet{command: keepMetrics.expand(command), env: r.env, dir: cfg.WorkDir}
	r.stops = append(r.stops, set.stopAll)
	r.proxy.Reset()
	r.say("sharded: starting %d replicas", cfg.Sharded)
	for range cfg.Sharded {
		if _, err := set.start(); err != nil {
			return err
		}
	}
	start := time.Now()
	// The shards spread within a few lease renewals; then every replica verifies its objects.
	if err := sleep(ctx, 10*time.Second); err != nil {
		return err
	}
	if err := r.proxy.waitQuietExcept(ctx, 3*time.Second, cfg.ColdTimeout, "leases"); err != nil {
		return err
	}
	res.ShardedTook = time.Since(start)
	for _, rep := range set.replicas() {
		m, err := rep.op.memory()
		if err != nil {
			return fmt.Errorf("%s: %w (log %s)", rep.name, err, rep.op.log.Name())
		}
		res.ShardedMemory = append(res.ShardedMemory, m)
	}
	r.say("sharded: %d replicas quiet after %s", cfg.Sharded, res.ShardedTook.Round(time.Second))
	return nil
}

// shardedLines writes the sharded phase's rows of the result table.
func (r *Result) shardedLines(p func(string, ...any)) {
	if len(r.ShardedMemory) == 0 {
		return
	}
	single := r.WarmMemory.Peak
	what := "warm restart"
	if single == 0 {
		single, what = r.ColdPeakRSS, "cold start"
	}
	var peaks []string
	for _, m := range r.ShardedMemory {
		peaks = append(peaks, fmt.Sprintf("%s (%.0f%%)", mib(m.Peak), 100*float64(m.Peak)/float64(max(single, 1))))
	}
	p("| sharded: %d replicas with --sharding=on, peak RSS each (share of the single operator's %s, %s) | %s |",
		len(r.ShardedMemory), what, mib(single), strings.Join(peaks, ", "))
	p("| sharded: RSS each, total (anon + file) | %s |", shardedRSS(r.ShardedMemory))
}

func shardedRSS(ms []procMemory) string {
	var out []string
	for _, m := range ms {
		out = append(out, rssString(m))
	}
	return strings.Join(out, "; ")
}
