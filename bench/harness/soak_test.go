package harness

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// TestSoakShort runs the soak's fault schedule for two minutes on a small N — two replicas
// with leader election, the leader killed with SIGKILL twice, kube-apiserver restarted
// twice, the provider answering 429 and 503, throttling and hanging in turns, a key
// rotated every ten seconds — and asserts what a user must never see: a Secret lost,
// a Secret holding bytes that are not its key's value (or an older value after a newer
// one), a workload restarted more often than its Secret changed, or one whose Secret
// changed and that was never restarted. Times are logged, not asserted.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane, moto and two operator replicas for several minutes")
	}
	ctrllog.SetLogger(logr.Discard()) // the harness reports through Progress
	cfg := SoakConfig{
		Config: Config{N: 100, K: 20, Namespaces: 5, Interval: 15 * time.Second, Concurrency: 10,
			ColdTimeout: 3 * time.Minute, Progress: testWriter{t}, Workloads: 20},
		Schedule: ShortSchedule(),
		// Leases as short as TestLeaderFailover's, so that each kill is taken over within
		// the two minutes.
		LeaderArgs: DefaultLeaderArgs + " --leader-election-lease-duration=4s --leader-election-renew-deadline=3s" +
			" --leader-election-retry-period=500ms",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	res, err := RunSoak(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	res.Markdown(&report)
	t.Log("\n" + report.String() + "\n" + strings.Join(res.Log, "\n"))

	if res.Kills == 0 || res.APIRestarts == 0 || res.Faults == 0 || res.Values.Rotations == 0 {
		t.Errorf("the schedule did not run: %d kills, %d API server restarts, %d provider faults, %d rotations",
			res.Kills, res.APIRestarts, res.Faults, res.Values.Rotations)
	}
	for _, c := range []struct {
		what  string
		items []string
	}{
		{"Secrets lost during the run", res.Values.Lost}, {"Secrets holding wrong bytes during the run", res.Values.Wrong},
		{"Secrets lost at the end", res.LostAtEnd}, {"Secrets not holding their key's last value at the end", res.WrongAtEnd},
		{"workloads restarted more often than their Secret changed", res.DoubleRestarts},
		{"workloads whose Secret changed and that were never restarted", res.NotRestarted},
	} {
		if len(c.items) > 0 {
			t.Errorf("%s: %d, want 0: %s", c.what, len(c.items), strings.Join(c.items, "; "))
		}
	}
}
