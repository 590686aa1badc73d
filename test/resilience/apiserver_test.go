package resilience

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferryhq/ferry/internal/testenv"
)

// TestAPIServerRestart stops kube-apiserver while Ferry is in the middle of a sync (its
// provider call held by the proxy), then starts it again. Ferry must finish that sync and
// keep syncing later changes without a restart of its own: its watches, caches and
// clients reconnect by themselves.
func TestAPIServerRestart(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	awsStore(t, ns)
	key := ns + "/db"
	putSecret(t, key, "before-restart")
	if err := k8s.Create(context.Background(), externalSecret(ns, "db", key, time.Hour)); err != nil {
		t.Fatal(err)
	}
	waitValue(t, ns, "db", "before-restart", 30*time.Second)

	// Hold the next read at the provider, and restart the API server while it is held.
	// The read returns after 6s, while the API server is down.
	proxy.Set(testenv.Fault{Match: testenv.MatchSecretID(key), Latency: 6 * time.Second})
	putSecret(t, key, "during-restart")
	forceSync(t, ns, "db")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := proxy.WaitHeld(ctx); err != nil {
		t.Fatal(err)
	}
	released := proxy.Released()
	if err := cp.StopAPIServer(); err != nil {
		t.Fatalf("stopping kube-apiserver: %v", err)
	}
	down := true
	t.Cleanup(func() {
		// The tests after this one need the API server, even when this one fails.
		if down {
			_ = cp.StartAPIServer()
		}
	})
	// Ferry retries a sync whose write failed at once, and its next read is held again:
	// count the reads that returned rather than wait for none to be held.
	testenv.Eventually(t, 10*time.Second, "the held read returns while the API server is away", func() (bool, error) {
		return proxy.Released() > released, nil
	})
	time.Sleep(time.Second) // Ferry tries to write the Secret, and fails
	restarted := time.Now()
	if err := cp.StartAPIServer(); err != nil {
		t.Fatalf("starting kube-apiserver again: %v", err)
	}
	down = false
	proxy.Set(testenv.Fault{})
	waitValue(t, ns, "db", "during-restart", 60*time.Second)
	t.Logf("the interrupted sync completed %s after kube-apiserver was started again", time.Since(restarted).Round(100*time.Millisecond))

	// A later change still syncs: the watch of ExternalSecrets works again.
	putSecret(t, key, "after-restart")
	forceSync(t, ns, "db")
	waitValue(t, ns, "db", "after-restart", 30*time.Second)
	testenv.Eventually(t, 10*time.Second, "Ready again", func() (bool, error) {
		c, err := ready(ns, "db")
		return err == nil && c != nil && c.Status == metav1.ConditionTrue, err
	})
	assertOperatorRunning(t)
}

func waitValue(t *testing.T, ns, name, want string, timeout time.Duration) {
	t.Helper()
	testenv.Eventually(t, timeout, "Secret "+name+" holds "+want, func() (bool, error) {
		v, _, err := secretValue(ns, name)
		return v == want, err
	})
}
