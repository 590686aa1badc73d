package harness

import (
	"strings"
	"testing"
	"time"
)

// TestRepeatedJudgesMediansAndEveryRun checks how several runs are judged: the peak RSS and
// the cold start's ratio to the first-sync floor on their medians (one run over the line
// does not fail them, two do), the request counts in every run (one run off fails them).
func TestRepeatedJudgesMediansAndEveryRun(t *testing.T) {
	run := func(peakMiB int64, cold, floor time.Duration, creates int) *Result {
		api := map[apiRequest]int{}
		for _, r := range perObjectRequests {
			api[r] = 10000
		}
		api[apiRequest{Verb: "create", Resource: "secrets"}] = creates
		return &Result{Config: Config{N: 10000, K: 1000}, PeakRSS: peakMiB << 20, FirstSyncFloor: floor,
			Cold: Phase{Took: cold, API: api}}
	}
	find := func(ts []Target, name string) Target {
		for _, t := range ts {
			if strings.HasPrefix(t.Name, name) {
				return t
			}
		}
		return Target{Name: "missing " + name}
	}

	rs := Repeated{
		run(125, 13*time.Second, 10*time.Second, 10000),
		run(118, 12*time.Second, 10*time.Second, 10000),
		run(119, 14*time.Second, 10*time.Second, 10001),
	}
	ts := rs.Targets()
	if got := find(ts, "peak RSS"); !got.Met || got.Got != "119.0 MiB" {
		t.Errorf("peak RSS of 125, 118, 119 MiB: %+v, want the median 119 met", got)
	}
	if got := find(ts, "cold start vs the first-sync floor"); !got.Met || got.Got != "1.30×" {
		t.Errorf("ratios 1.3, 1.2, 1.4: %+v, want the median 1.30× met", got)
	}
	if got := find(ts, "cold start API requests"); got.Met || !strings.Contains(got.Got, "met in 2 of 3") {
		t.Errorf("one run with an extra create: %+v, want not met, 2 of 3", got)
	}

	rs[1].PeakRSS = 121 << 20
	if got := find(rs.Targets(), "peak RSS"); got.Met || got.Got != "121.0 MiB" {
		t.Errorf("peak RSS of 125, 121, 119 MiB: %+v, want the median 121 not met", got)
	}
	var md strings.Builder
	rs.Markdown(&md)
	if !strings.Contains(md.String(), "| **median** |") {
		t.Errorf("no median row in\n%s", md.String())
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %g, want %g", c.in, got, c.want)
		}
	}
}
