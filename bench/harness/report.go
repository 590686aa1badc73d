package harness

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Target is one of the performance targets, checked against a result.
type Target struct {
	Name string
	Want string
	Got  string
	Met  bool
}

// FewCalls is the "few" of "ceil(K/100) + a few" provider calls per refresh cycle: the
// calls that are not version listings (a credential refresh, a read of a changed key).
const FewCalls = 3

// JitterSpread is the widest per-object jitter of a refresh interval, as Ferry and ESO's
// compatible behaviour define it: a tenth of the interval, at most five minutes.
func JitterSpread(interval time.Duration) time.Duration {
	return min(interval/10, 5*time.Minute)
}

// peakRSSLimitMiB is the operator's peak RSS the issues allow at N = 10,000.
const peakRSSLimitMiB = 120

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Targets checks a result against the targets of the issues; targets whose phase did not
// run are left out. The memory target applies at N = 10,000 only.
func (r *Result) Targets() []Target {
	cfg := r.Config
	var out []Target
	add := func(name, want, got string, met bool) {
		out = append(out, Target{Name: name, Want: want, Got: got, Met: met})
	}
	measured := func(name string) {
		m := medianTargets[name]
		out = append(out, m.judge(name, m.value(r)))
	}
	if r.Floor > 0 {
		measured("cold start vs the Secrets-only floor")
	}
	if r.FirstSyncFloor > 0 {
		measured("cold start vs the first-sync floor")
	}
	got, exact := r.Cold.firstSyncRequests(cfg.N)
	add("cold start API requests", "N each of create secrets, patch externalsecrets/status, create events; any other at most once per process", got, exact)
	add("cold start provider reads", fmt.Sprintf("≤ K = %d", cfg.K), fmt.Sprint(r.Cold.ProviderReads()), r.Cold.ProviderReads() <= cfg.K)
	out = append(out, r.warmTargets()...)
	if r.Cycles > 0 {
		perCycle := float64(r.Steady.ProviderCalls()) / float64(r.Cycles)
		limit := ceilDiv(cfg.K, 100) + FewCalls
		add("steady provider calls per cycle", fmt.Sprintf("≤ ceil(K/100) + %d = %d", FewCalls, limit), fmt.Sprintf("%.1f", perCycle), perCycle <= float64(limit))
		add("steady Secret writes", "0", fmt.Sprint(r.Steady.SecretWrites()), r.Steady.SecretWrites() == 0)
		add("steady status writes", "0", fmt.Sprint(r.Steady.StatusWrites()), r.Steady.StatusWrites() == 0)
	}
	switch {
	case r.RotationSecrets > 0 && cfg.Feed:
		// The change arrives by the store's SQS feed: seconds, whatever the interval.
		const bound = 5 * time.Second
		add("rotation by the change feed, p99", fmt.Sprintf("≤ %s", bound), r.RotationP99.Round(100*time.Millisecond).String(), r.RotationP99 <= bound)
		add("rotation provider reads", "1: the changed key, once", fmt.Sprint(r.Rotation.ProviderReads()), r.Rotation.ProviderReads() <= 1)
	case r.RotationSecrets > 0:
		bound := cfg.Interval + JitterSpread(cfg.Interval)
		add("rotation time", fmt.Sprintf("≤ interval + jitter = %s", bound), r.Rotation.Took.Round(100*time.Millisecond).String(), r.Rotation.Took <= bound)
		limit := ceilDiv(cfg.K, 100) + 1
		add("rotation provider calls", fmt.Sprintf("≤ ceil(K/100) + 1 = %d", limit), fmt.Sprint(r.Rotation.ProviderCalls()), r.Rotation.ProviderCalls() <= limit)
	}
	if cfg.N >= 10000 {
		measured("peak RSS")
	}
	return out
}

// warmTargets are the warm restart's targets: nothing written, no more provider reads than
// the cold start's, every object re-verified within twice the cold start's time.
func (r *Result) warmTargets() []Target {
	if r.Warm.Took == 0 {
		return nil
	}
	ratio := r.Warm.Took.Seconds() / r.Cold.Took.Seconds()
	out := []Target{
		{Name: "warm restart Secret writes", Want: "0", Got: fmt.Sprint(r.Warm.SecretWrites()), Met: r.Warm.SecretWrites() == 0},
		{Name: "warm restart status writes", Want: "0", Got: fmt.Sprint(r.Warm.StatusWrites()), Met: r.Warm.StatusWrites() == 0},
		{Name: "warm restart provider reads", Want: fmt.Sprintf("≤ the cold start's = %d", r.Cold.ProviderReads()),
			Got: fmt.Sprint(r.Warm.ProviderReads()), Met: r.Warm.ProviderReads() <= r.Cold.ProviderReads()},
		{Name: "warm restart: all re-verified", Want: "≤ 2× the cold start", Got: fmt.Sprintf("%s = %.2f×", secs(r.Warm.Took), ratio), Met: ratio <= 2},
	}
	if r.AfterRestart.Took > 0 {
		limit := ceilDiv(r.Config.K, 100) + FewCalls
		calls, writes := r.AfterRestart.ProviderCalls(), r.AfterRestart.SecretWrites()+r.AfterRestart.StatusWrites()
		out = append(out,
			Target{Name: "first cycle after the restart: provider calls", Want: fmt.Sprintf("≤ ceil(K/100) + %d = %d", FewCalls, limit),
				Got: fmt.Sprint(calls), Met: calls <= limit},
			Target{Name: "first cycle after the restart: writes", Want: "0", Got: fmt.Sprint(writes), Met: writes == 0})
	}
	return out
}

// perObjectRequests are the requests a first sync must make, once per object.
var perObjectRequests = []apiRequest{
	{Verb: "create", Resource: "secrets"}, {Verb: "patch", Resource: "externalsecrets/status"}, {Verb: "create", Resource: "events"},
}

// firstSyncRequests says whether the phase made exactly n of each per-object request and at
// most one of any other request but watches and lists (one process: its hash key, its
// ServiceAccount token), and describes what it made.
func (p Phase) firstSyncRequests(n int) (got string, exact bool) {
	exact = true
	var parts []string
	for _, r := range perObjectRequests {
		parts = append(parts, fmt.Sprint(p.API[r]))
		exact = exact && p.API[r] == n
	}
	others := 0
	for r, c := range p.API {
		if r.Verb != "watch" && r.Verb != "list" && !slices.Contains(perObjectRequests, r) {
			others += c
			exact = exact && c <= 1
		}
	}
	return fmt.Sprintf("%s; %d others", strings.Join(parts, " / "), others), exact
}

// Markdown writes the result as a section of bench/RESULTS.md.
func (r *Result) Markdown(w io.Writer) {
	cfg := r.Config
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format+"\n", args...) }
	p("### N = %d, K = %d, interval %s, %d unrelated Secrets, %d workloads — %s", cfg.N, cfg.K, cfg.Interval, cfg.Unrelated,
		cfg.Workloads, r.Started.Format("2006-01-02 15:04 MST"))
	header(p, r.LoadBefore, r.LoadAfter)
	p("- operator: `%s`", r.Command)
	p("")
	p("| measure | value |")
	p("|---|---|")
	if r.BinarySize > 0 {
		p("| ferry binary | %s |", mib(r.BinarySize))
	}
	if r.IdleMemory.Current > 0 {
		p("| RSS with the store Ready, no ExternalSecret: total (anon + file) | %s |", rssString(r.IdleMemory))
	}
	if r.Floor > 0 {
		p("| floor: a bare client creates %d Secrets | %s (%.0f/s) |", cfg.N, secs(r.Floor), float64(cfg.N)/r.Floor.Seconds())
		p("| floor: CPU used | %s |", cpuString(r.FloorCPU))
	}
	if r.FirstSyncFloor > 0 {
		p("| first-sync floor: a bare client creates %d Secrets, patches %d statuses, records %d events | %s (%.0f objects/s) |",
			cfg.N, cfg.N, cfg.N, secs(r.FirstSyncFloor), float64(cfg.N)/r.FirstSyncFloor.Seconds())
		p("| first-sync floor: CPU used | %s |", cpuString(r.FirstSyncFloorCPU))
	}
	p("| cold start: all %d Ready | %s (%.0f/s) |", cfg.N, secs(r.Cold.Took), float64(cfg.N)/r.Cold.Took.Seconds())
	p("| per object, from operator start: p50 / p99 | %s / %s |", secs(r.P50), secs(r.P99))
	p("| cold start provider calls | %s |", calls(r.Cold.Provider))
	p("| cold start API requests | %s |", requests(r.Cold.API))
	p("| cold start writes: Secrets / status | %d / %d |", r.Cold.SecretWrites(), r.Cold.StatusWrites())
	p("| cold start: CPU used | %s |", cpuString(r.Cold.CPU))
	rc := r.ColdReconciles
	p("| cold start: ExternalSecret reconciles | %d (%.2f per object; results: %s): %d synced, %d found nothing to do |", rc.Total(),
		float64(rc.Total())/float64(max(cfg.N, 1)), calls(rc.ByResult), rc.Syncs, rc.Total()-rc.Syncs)
	p("| peak RSS at the end of the cold start | %s |", mib(r.ColdPeakRSS))
	p("| RSS at the end of the cold start: total (anon + file) | %s |", rssString(r.ColdMemory))
	if r.Warm.Took > 0 {
		p("| warm restart: all %d re-verified Ready (operator's metrics) | %s |", cfg.N, secs(r.Warm.Took))
		p("| warm restart, per object from the new process's start: p50 / p99 | %s / %s |", secs(r.WarmP50), secs(r.WarmP99))
		p("| warm restart provider calls | %s |", calls(r.Warm.Provider))
		p("| warm restart API requests | %s |", requests(r.Warm.API))
		p("| warm restart writes: Secrets / status | %d / %d |", r.Warm.SecretWrites(), r.Warm.StatusWrites())
		p("| warm restart: CPU used | %s |", cpuString(r.Warm.CPU))
		p("| warm restart: peak RSS of the new process; RSS total (anon + file) | %s; %s |", mib(r.WarmMemory.Peak), rssString(r.WarmMemory))
	}
	if r.Cycles > 0 {
		p("| steady state: %d cycles of %s, provider calls | %s |", r.Cycles, cfg.Interval, calls(r.Steady.Provider))
		p("| steady state: provider calls per cycle | %.1f |", float64(r.Steady.ProviderCalls())/float64(r.Cycles))
		p("| steady state API requests | %s |", requests(r.Steady.API))
		p("| steady state writes: Secrets / status | %d / %d |", r.Steady.SecretWrites(), r.Steady.StatusWrites())
		p("| steady state: CPU used | %s |", cpuString(r.Steady.CPU))
	}
	if r.RotationSecrets > 0 {
		p("| rotation: one key, %d Secrets follow after (p50 / p99 / last) | %s / %s / %s |", r.RotationSecrets,
			secs(r.RotationP50), secs(r.RotationP99), secs(r.Rotation.Took))
		p("| rotation provider calls | %s |", calls(r.Rotation.Provider))
		p("| rotation writes: Secrets / status | %d / %d |", r.Rotation.SecretWrites(), r.Rotation.StatusWrites())
	}
	if r.AfterRestart.Took > 0 {
		p("| first refresh cycle after the restart (%s): provider calls | %s |", cfg.Interval, calls(r.AfterRestart.Provider))
		p("| first refresh cycle after the restart: writes Secrets / status | %d / %d |", r.AfterRestart.SecretWrites(), r.AfterRestart.StatusWrites())
	}
	r.shardedLines(p)
	p("| peak RSS over the run | %s |", mib(r.PeakRSS))
	targetTable(p, r.Targets())
}

// targetTable writes the targets as a table, the misses in bold.
func targetTable(p func(string, ...any), targets []Target) {
	p("")
	p("| target | want | got | met |")
	p("|---|---|---|---|")
	for _, t := range targets {
		met := "yes"
		if !t.Met {
			met = "**no**"
		}
		p("| %s | %s | %s | %s |", t.Name, t.Want, t.Got, met)
	}
	p("")
}

// header writes the lines every result starts with: the machine, its load, the command.
func header(p func(string, ...any), loadBefore, loadAfter string) {
	p("")
	p("- machine: %s", machine())
	p("- load average (1, 5, 15 min): %s before, %s after", loadBefore, loadAfter)
	p("- harness: `%s`", strings.Join(append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...), " "))
}

func rssString(m procMemory) string {
	return fmt.Sprintf("%s (%s + %s)", mib(m.Current), mib(m.Anon), mib(m.File))
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func calls(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", op, m[op]))
	}
	return strings.Join(parts, ", ")
}

func requests(m map[apiRequest]int) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, r := range sortedRequests(m) {
		parts = append(parts, fmt.Sprintf("%s %s %d", r.Verb, r.Resource, m[r]))
	}
	return strings.Join(parts, ", ")
}

// machine describes the CPU, cores, memory, kernel and Go version.
func machine() string {
	model, mem := "unknown CPU", "unknown memory"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		_ = f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == "MemTotal" {
				if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
					mem = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				}
				break
			}
		}
		_ = f.Close()
	}
	kernel := "unknown kernel"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%s, %d cores, %s, %s, %s", model, runtime.NumCPU(), mem, kernel, runtime.Version())
}
