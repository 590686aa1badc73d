package resilience

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/testenv"
)

// TestThrottling lets AWS admit only a few reads per second while many ExternalSecrets
// want to sync at once, and answers the rest with ThrottlingException. Ferry must slow down
// (the SDK's retries and the per-object backoff space the calls out) rather than storm the
// provider, and every ExternalSecret must get its turn: none starves.
func TestThrottling(t *testing.T) {
	const (
		objects = 20
		rate    = 4.0 // admitted Secrets Manager calls per second
	)
	ns := testenv.Namespace(t, k8s, nil)
	awsStore(t, ns)
	for i := range objects {
		putSecret(t, fmt.Sprintf("%s/t-%d", ns, i), fmt.Sprintf("value-%d", i))
	}
	proxy.Set(testenv.Fault{RatePerSecond: rate, Match: func(op string, _ []byte) bool { return slices.Contains(testenv.SecretsManagerReads, op) }})
	defer proxy.Set(testenv.Fault{})

	start := time.Now()
	for i := range objects {
		es := externalSecret(ns, fmt.Sprintf("t-%d", i), fmt.Sprintf("%s/t-%d", ns, i), time.Hour)
		if err := k8s.Create(context.Background(), es); err != nil {
			t.Fatal(err)
		}
	}
	synced := map[string]time.Duration{}
	testenv.Eventually(t, 90*time.Second, "every ExternalSecret synced under throttling", func() (bool, error) {
		for i := range objects {
			name := fmt.Sprintf("t-%d", i)
			if _, ok := synced[name]; ok {
				continue
			}
			v, _, err := secretValue(ns, name)
			if err != nil {
				return false, err
			}
			if v == fmt.Sprintf("value-%d", i) {
				synced[name] = time.Since(start)
			}
		}
		return len(synced) == objects, fmt.Errorf("%d of %d synced", len(synced), objects)
	})
	elapsed := time.Since(start)
	assertOperatorRunning(t)

	end := time.Now()
	admitted := proxy.CountOps(testenv.SecretsManagerReads, testenv.Forwarded, start, end)
	throttled := proxy.CountOps(testenv.SecretsManagerReads, testenv.Throttled, start, end)
	slowest := time.Duration(0)
	for _, d := range synced {
		slowest = max(slowest, d)
	}
	t.Logf("%d objects synced in %s (slowest %s): %d calls admitted, %d throttled",
		objects, elapsed.Round(100*time.Millisecond), slowest.Round(100*time.Millisecond), admitted, throttled)

	// No starvation: the last object syncs within a few times what the quota needs for all.
	if fair := time.Duration(4 * objects / rate * float64(time.Second)); slowest > fair {
		t.Errorf("the last ExternalSecret synced after %s, want within %s", slowest, fair)
	}
	// Slowing down: the calls made, admitted or not, stay within a small multiple of what
	// the quota admits over the same time (ten workers whose SDK retries wait up to a
	// second or two offer two to three times the quota). A client that retried without
	// waiting would send hundreds of calls per second here.
	if perSecond := float64(admitted+throttled) / elapsed.Seconds(); perSecond > 8*rate {
		t.Errorf("%.1f calls per second against a quota of %.0f: Ferry storms a throttling provider", perSecond, rate)
	}
	// Every call beyond the quota is wasted: a few per admitted call at most (observed: 2
	// to 4).
	if throttled > 8*admitted {
		t.Errorf("%d throttled calls for %d admitted: retries do not slow down", throttled, admitted)
	}
}
