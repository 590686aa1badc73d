package harness

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sharding's Lease timings in the sharded phase: the chart's defaults. With 4 s leases and a
// 3 s renew deadline, three replicas each listing their share of N = 30,000 on two cores
// shared with other work left the API server too slow to renew in time: shards expired at
// every other tick and the replicas lost the leader election and exited. The shards still
// settle within seconds: the phase starts with no shard Lease held.
const shardedLeaseFlags = " --leader-elect=true --sharding=on --leader-election-lease-duration=15s" +
	" --leader-election-renew-deadline=10s --leader-election-retry-period=2s"

// sharded replaces the operator with cfg.Sharded Ferry replicas with --sharding=on, started
// together with every object in sync, and records each replica's memory once, together, they
// report every object verified and the API requests have stopped: the memory per replica that sharding leaves, to set beside the
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
	// Each replica gets its own metrics and pprof addresses (replicaSet.start).
	set := &replicaSet{command: cfg.expand(command, "{metrics}", "{pprof}"), env: r.env, dir: cfg.WorkDir}
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
	// Their memory counts once every object has been looked at by a replica (each reports
	// the objects it reconciled): with sharded caches, a replica that has not listed its
	// shards yet makes no request, so quiet alone would measure empty caches.
	if err := sleep(ctx, 10*time.Second); err != nil {
		return err
	}
	if err := waitShardsVerified(ctx, set.replicas(), cfg.N, cfg.ColdTimeout, r.say); err != nil {
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
		role, err := replicaRoleOf(ctx, rep.metrics)
		if err != nil {
			return fmt.Errorf("%s: %w (log %s)", rep.name, err, rep.op.log.Name())
		}
		res.ShardedRoles = append(res.ShardedRoles, role)
		name := "sharded-" + rep.name
		if role.Leader {
			name += "-leader"
		}
		heapProfile(ctx, cfg.ProfileDir, name, endpoint{rep.pprof, http.DefaultClient})
	}
	r.say("sharded: %d replicas quiet after %s", cfg.Sharded, res.ShardedTook.Round(time.Second))
	return nil
}

// waitShardsVerified scrapes the replicas' metrics until, together, they have reported all n
// objects Ready: an object counts once any replica reported it (a replica drops the series
// of an object whose shard moves away).
func waitShardsVerified(ctx context.Context, replicas []*replica, n int, timeout time.Duration, say func(string, ...any)) error {
	deadline := time.Now().Add(timeout)
	lastReport := time.Now()
	verified := map[string]bool{}
	for {
		for _, rep := range replicas {
			ready, err := verifiedObjects(ctx, rep.metrics)
			if err != nil {
				continue // starting, or scraped in the middle of a restart: the next look counts
			}
			for key := range ready {
				verified[key] = true
			}
		}
		if len(verified) >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sharded: %d of %d objects verified by the replicas after %s", len(verified), n, timeout)
		}
		if time.Since(lastReport) > 10*time.Second {
			say("sharded: %d of %d verified", len(verified), n)
			lastReport = time.Now()
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
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
	if len(r.ShardedRoles) > 0 {
		var roles []string
		for _, role := range r.ShardedRoles {
			roles = append(roles, role.String())
		}
		p("| sharded: each replica's shards, ExternalSecrets cached, leader | %s |", strings.Join(roles, "; "))
	}
}

// replicaRole is what a sharded replica held when its memory was read: the peak of the
// leader, which also runs the cluster-wide controllers, or of the replica with the most
// objects is told apart from the others by it.
type replicaRole struct {
	Shards, Cached int
	Leader         bool
}

func (r replicaRole) String() string {
	s := fmt.Sprintf("%d shards, %d cached", r.Shards, r.Cached)
	if r.Leader {
		s += ", leader"
	}
	return s
}

// replicaRoleOf reads a replica's role from its metrics: ferry_shards_owned,
// ferry_shard_objects_cached{kind="ExternalSecret"} and controller-runtime's
// leader_election_master_status.
func replicaRoleOf(ctx context.Context, url string) (replicaRole, error) {
	body, err := getMetrics(ctx, url)
	if err != nil {
		return replicaRole{}, err
	}
	defer func() { _ = body.Close() }()
	var role replicaRole
	scanner := bufio.NewScanner(body)
	scanner.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for scanner.Scan() {
		name, value, ok := strings.Cut(scanner.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		switch {
		case name == "ferry_shards_owned":
			role.Shards = int(v)
		case name == `ferry_shard_objects_cached{kind="ExternalSecret"}`:
			role.Cached = int(v)
		case strings.HasPrefix(name, "leader_election_master_status{"):
			role.Leader = role.Leader || v == 1
		}
	}
	return role, scanner.Err()
}

func shardedRSS(ms []procMemory) string {
	var out []string
	for _, m := range ms {
		out = append(out, rssString(m))
	}
	return strings.Join(out, "; ")
}
