package harness

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// readyMetric is ESO's per-object gauge, which Ferry serves under the same name: 1 on the
// series of the Ready condition's current status. An operator sets it when it reconciles
// the object, so a process that just started has none: once every object has its series at
// status="True", the new process has looked at every object and found it Ready.
const readyMetric = "externalsecret_status_condition"

// verifiedObjects scrapes an operator's /metrics and returns the benchmark ExternalSecrets
// (namespace/name) it reports Ready.
func verifiedObjects(ctx context.Context, url string) (map[string]bool, error) {
	body, err := getMetrics(ctx, url)
	if err != nil {
		return nil, err
	}
	defer func() { _ = body.Close() }()
	return parseReady(body)
}

// getMetrics opens an operator's metrics page; the caller closes it. The request is
// bounded by a minute.
func getMetrics(ctx context.Context, url string) (io.ReadCloser, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return cancelOnClose{resp.Body, cancel}, nil
}

// cancelOnClose ends a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	defer c.cancel()
	return c.ReadCloser.Close()
}

// parseReady reads the Prometheus text format and keeps the Ready series at 1 of objects in
// the benchmark's namespaces.
func parseReady(r io.Reader) (map[string]bool, error) {
	out := map[string]bool{}
	err := eachSample(r, func(name string, labels map[string]string, v float64) {
		if name == readyMetric && v == 1 && labels["condition"] == "Ready" && labels["status"] == "True" &&
			strings.HasPrefix(labels["namespace"], "bench-") && labels["namespace"] != floorNamespace {
			out[labels["namespace"]+"/"+labels["name"]] = true
		}
	})
	return out, err
}

// eachSample calls fn with every labelled sample of a text-format scrape.
func eachSample(r io.Reader, fn func(name string, labels map[string]string, value float64)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		end := strings.LastIndexByte(rest, '}')
		if !ok || end < 0 || strings.HasPrefix(name, "#") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest[end+1:]), 64)
		if err != nil {
			return fmt.Errorf("%s: %w", line, err)
		}
		fn(name, parseLabels(rest[:end]), v)
	}
	return sc.Err()
}

// reconcileCounts are an operator's reconciles of ExternalSecrets and the syncs among them.
type reconcileCounts struct {
	// ByResult counts the reconciles of the externalsecret controller by result (success,
	// error, requeue, requeue_after): controller_runtime_reconcile_total.
	ByResult map[string]int
	// Syncs counts those that synced (externalsecret_sync_calls_total, summed over the
	// objects): a first sync, a refresh, a repair. The others found nothing to do.
	Syncs int
}

// Total is every reconcile, whatever its result.
func (c reconcileCounts) Total() int {
	n := 0
	for _, v := range c.ByResult {
		n += v
	}
	return n
}

// reconciles reads an operator's reconcile and sync counts of ExternalSecrets.
func reconciles(ctx context.Context, url string) (reconcileCounts, error) {
	out := reconcileCounts{ByResult: map[string]int{}}
	body, err := getMetrics(ctx, url)
	if err != nil {
		return out, err
	}
	defer func() { _ = body.Close() }()
	err = eachSample(body, func(name string, labels map[string]string, v float64) {
		switch {
		case name == "externalsecret_sync_calls_total":
			out.Syncs += int(v)
		case name == "controller_runtime_reconcile_total" && labels["controller"] == "externalsecret" && v > 0:
			out.ByResult[labels["result"]] += int(v)
		}
	})
	return out, err
}

// parseLabels reads name="value" pairs; the harness's names and namespaces need no escapes.
func parseLabels(s string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		if ok {
			out[strings.TrimSpace(k)] = strings.Trim(v, `"`)
		}
	}
	return out
}

// waitVerified scrapes the operator's metrics until it reports all n objects Ready, and
// returns when each was first seen so, relative to the operator's start, sorted. Scrapes
// follow each other with a pause of twice the last scrape's duration (at least 250 ms), so
// that the scraping costs the operator at most a third of a core; the times are as fine as
// that pause.
func waitVerified(ctx context.Context, op *operator, url string, n int, timeout time.Duration, say func(string, ...any)) ([]time.Duration, error) {
	seen := map[string]time.Duration{}
	deadline := time.Now().Add(timeout)
	lastReport := time.Now()
	var lastErr error
	for len(seen) < n {
		if done, how := op.exited(); done {
			return nil, fmt.Errorf("the operator exited (%s) with %d of %d re-verified", how, len(seen), n)
		}
		if time.Now().After(deadline) {
			err := fmt.Errorf("%d of %d re-verified after %s", len(seen), n, timeout)
			if lastErr != nil {
				err = fmt.Errorf("%w (last scrape error: %w)", err, lastErr)
			}
			return nil, err
		}
		began := time.Now()
		ready, err := verifiedObjects(ctx, url)
		lastErr = err
		at := time.Since(op.started)
		for key := range ready {
			if _, ok := seen[key]; !ok {
				seen[key] = at
			}
		}
		if time.Since(lastReport) > 10*time.Second {
			say("warm restart: %d of %d re-verified", len(seen), n)
			lastReport = time.Now()
		}
		if len(seen) >= n {
			break
		}
		if err := sleep(ctx, max(250*time.Millisecond, 2*time.Since(began))); err != nil {
			return nil, err
		}
	}
	times := make([]time.Duration, 0, len(seen))
	for _, d := range seen {
		times = append(times, d)
	}
	slices.Sort(times)
	return times, nil
}
