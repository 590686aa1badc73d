package harness

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Markdown writes the soak's result as a section of bench/RESULTS.md.
func (r *SoakResult) Markdown(w io.Writer) {
	cfg, sch := r.Config, r.Config.Schedule
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format+"\n", args...) }
	p("### Soak: N = %d, K = %d, %d workloads, %s of faults — %s", cfg.N, cfg.K, cfg.Workloads, sch.Duration, r.Started.Format("2006-01-02 15:04 MST"))
	header(p, r.LoadBefore, r.LoadAfter)
	p("- replicas: `%s`", r.Command)
	p("- schedule: rotate %g%% of the keys every %s; kill -9 the leader every %s; restart kube-apiserver every %s from %s; "+
		"provider faults for %s every %s (429, 503, throttling, %s hangs in turn)",
		sch.RotatePercent, sch.RotateEvery, sch.KillEvery, sch.APIRestartEvery, sch.APIRestartAt, sch.FaultFor, sch.FaultEvery, sch.HangFor)
	p("")
	p("| measure | value |")
	p("|---|---|")
	p("| leader kills / kube-apiserver restarts / provider fault periods | %d / %d / %d |", r.Kills, r.APIRestarts, r.Faults)
	p("| replicas that exited on their own (replaced) | %d |", r.Exits)
	p("| rotations / arrived at every Secret | %d / %d |", r.Values.Rotations, r.Values.Arrived)
	p("| longest time a rotated value took to reach every Secret of its key | %s |", secs(r.Values.LongestArrive))
	p("| Secrets lost during the run / at the end | %d / %d |", len(r.Values.Lost), len(r.LostAtEnd))
	p("| Secrets holding wrong bytes during the run / at the end | %d / %d |", len(r.Values.Wrong), len(r.WrongAtEnd))
	p("| workload restarts / restarted more often than their Secret changed / changed but never restarted | %d / %d / %d |",
		r.Restarts, len(r.DoubleRestarts), len(r.NotRestarted))
	p("| breaks of the harness's own watch (re-listed) | %d |", r.Values.WatchBreaks)
	p("")
	r.samplesTable(p)
	for _, list := range []struct {
		name  string
		items []string
	}{{"lost", r.Values.Lost}, {"wrong", r.Values.Wrong}, {"lost at the end", r.LostAtEnd}, {"wrong at the end", r.WrongAtEnd},
		{"restarted twice", r.DoubleRestarts}, {"never restarted", r.NotRestarted}} {
		if len(list.items) > 0 {
			p("%s: %s", list.name, strings.Join(list.items[:min(len(list.items), 20)], "; "))
			p("")
		}
	}
}

// samplesTable writes about a dozen of the memory and goroutine samples, evenly spread.
func (r *SoakResult) samplesTable(p func(string, ...any)) {
	if len(r.Samples) == 0 {
		return
	}
	p("| time | replicas: RSS, goroutines (* leads) |")
	p("|---|---|")
	step := max(1, len(r.Samples)/12)
	for i, s := range r.Samples {
		if i%step != 0 && i != len(r.Samples)-1 {
			continue
		}
		var parts []string
		for _, rs := range s.Replicas {
			if !rs.Up {
				parts = append(parts, rs.Name+" not answering")
				continue
			}
			lead := ""
			if rs.Leader {
				lead = "*"
			}
			parts = append(parts, fmt.Sprintf("%s%s %s, %d", rs.Name, lead, mib(rs.RSS), rs.Goroutines))
		}
		p("| %s | %s |", s.At.Round(time.Second), strings.Join(parts, "; "))
	}
	p("")
}
