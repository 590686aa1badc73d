package harness

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Repeated is one scenario run several times, each on a fresh control plane. On a shared
// machine one run's cold start moves by seconds and its peak RSS by several MiB with the
// load and the moment the garbage collector runs, so the times and the memory are judged on
// the medians of the runs, and the counts (requests, writes, provider calls) in every run.
type Repeated []*Result

// medianTargets are the targets judged on the median of the runs (a run's own Targets
// judge its value against the same limit); every other target must be met in each run.
var medianTargets = map[string]measuredTarget{
	"cold start vs the Secrets-only floor": {limit: 1.5, unit: "×", format: "%.2f×",
		value: func(r *Result) float64 { return ratio(r.Cold.Took, r.Floor) }},
	"cold start vs the first-sync floor": {limit: 1.3, unit: "×", format: "%.2f×",
		value: func(r *Result) float64 { return ratio(r.Cold.Took, r.FirstSyncFloor) }},
	"peak RSS": {limit: peakRSSLimitMiB, unit: " MiB", format: "%.1f MiB",
		value: func(r *Result) float64 { return float64(r.PeakRSS) / (1 << 20) }},
}

// measuredTarget is a time or memory target: a value of a run at most limit.
type measuredTarget struct {
	value  func(*Result) float64
	limit  float64
	unit   string
	format string // of a value
}

// judge returns the target name for value.
func (m measuredTarget) judge(name string, value float64) Target {
	return Target{Name: name, Want: fmt.Sprintf("≤ %g%s", m.limit, m.unit), Got: fmt.Sprintf(m.format, value), Met: value <= m.limit}
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return a.Seconds() / b.Seconds()
}

// took writes a phase's time, or a dash for a phase that did not run.
func took(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	return secs(d)
}

// times writes a ratio, or a dash where there was nothing to divide by.
func times(x float64) string {
	if x == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", x)
}

// median is the middle value, or the mean of the two middle values.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// each returns f of every run.
func (rs Repeated) each(f func(*Result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// Targets judges the time and memory targets on the medians of the runs and every other
// target on all of them.
func (rs Repeated) Targets() []Target {
	if len(rs) == 0 {
		return nil
	}
	perRun := make([][]Target, len(rs))
	for i, r := range rs {
		perRun[i] = r.Targets()
	}
	var out []Target
	for _, t := range perRun[0] {
		if m, ok := medianTargets[t.Name]; ok {
			out = append(out, rs.medianTarget(t.Name, m))
			continue
		}
		got, met := make([]string, 0, len(rs)), 0
		for _, ts := range perRun {
			i := slices.IndexFunc(ts, func(o Target) bool { return o.Name == t.Name })
			if i < 0 {
				continue
			}
			got = append(got, ts[i].Got)
			if ts[i].Met {
				met++
			}
		}
		out = append(out, Target{Name: t.Name + " (every run)", Want: t.Want,
			Got: fmt.Sprintf("%s (met in %d of %d)", strings.Join(got, " | "), met, len(rs)), Met: met == len(rs)})
	}
	return out
}

// medianTarget re-judges a run's target on the median over the runs.
func (rs Repeated) medianTarget(name string, m measuredTarget) Target {
	return m.judge(name+" (median)", median(rs.each(m.value)))
}

// Markdown writes one line per run and the medians, then the targets.
func (rs Repeated) Markdown(w io.Writer) {
	if len(rs) == 0 {
		return
	}
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format+"\n", args...) }
	cfg := rs[0].Config
	p("### %d runs of N = %d, K = %d, %d unrelated Secrets, %d workloads — medians", len(rs), cfg.N, cfg.K, cfg.Unrelated, cfg.Workloads)
	header(p, rs[0].LoadBefore, rs[len(rs)-1].LoadAfter)
	p("")
	p("| run | Secrets-only floor | first-sync floor | cold start | × Secrets-only | × first-sync | peak RSS | RSS at the end (anon + file) | warm restart |")
	p("|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s |", r.Started.Format("15:04"), took(r.Floor), took(r.FirstSyncFloor),
			took(r.Cold.Took), times(ratio(r.Cold.Took, r.Floor)), times(ratio(r.Cold.Took, r.FirstSyncFloor)), mib(r.PeakRSS),
			rssString(r.ColdMemory), took(r.Warm.Took))
	}
	sec := func(d func(*Result) time.Duration) string {
		return took(time.Duration(median(rs.each(func(r *Result) float64 { return float64(d(r)) }))))
	}
	p("| **median** | %s | %s | %s | %s | %s | %.1f MiB | %.1f MiB | %s |",
		sec(func(r *Result) time.Duration { return r.Floor }), sec(func(r *Result) time.Duration { return r.FirstSyncFloor }),
		sec(func(r *Result) time.Duration { return r.Cold.Took }),
		times(median(rs.each(medianTargets["cold start vs the Secrets-only floor"].value))),
		times(median(rs.each(medianTargets["cold start vs the first-sync floor"].value))),
		median(rs.each(medianTargets["peak RSS"].value)),
		median(rs.each(func(r *Result) float64 { return float64(r.ColdMemory.Current) / (1 << 20) })),
		sec(func(r *Result) time.Duration { return r.Warm.Took }))
	targetTable(p, rs.Targets())
}
