package externalsecret

import (
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	synced := facts{
		now: now, interval: time.Hour, lastSync: now.Add(-10 * time.Minute),
		syncedVersion: "1-a", currentVersion: "1-a", ready: true,
		writesSecret: true, targetExists: true, targetUntouched: true,
	}
	with := func(mut func(*facts)) facts { f := synced; mut(&f); return f }
	tests := []struct {
		name         string
		in           facts
		sync         bool
		requeueAfter time.Duration
	}{
		{"in sync, not due", synced, false, 50 * time.Minute},
		{"jitter delays", with(func(f *facts) { f.jitter = time.Minute }), false, 51 * time.Minute},
		{"due", with(func(f *facts) { f.lastSync = now.Add(-time.Hour) }), true, 0},
		{"never synced", with(func(f *facts) { f.syncedVersion = "" }), true, 0},
		{"spec changed", with(func(f *facts) { f.currentVersion = "2-a" }), true, 0},
		{"annotation changed", with(func(f *facts) { f.currentVersion = "1-b" }), true, 0},
		{"not ready", with(func(f *facts) { f.ready = false }), true, 0},
		{"target deleted", with(func(f *facts) { f.targetExists = false }), true, 0},
		{"target edited", with(func(f *facts) { f.targetUntouched = false }), true, 0},
		{"creation none ignores target", with(func(f *facts) { f.writesSecret = false; f.targetExists = false }), false, 50 * time.Minute},
		{"interval 0 syncs once", with(func(f *facts) { f.interval = 0; f.lastSync = now.Add(-48 * time.Hour) }), false, 0},
		{"created once", with(func(f *facts) {
			f.policy = esv1.RefreshPolicyCreatedOnce
			f.lastSync = now.Add(-48 * time.Hour)
		}), false, 0},
		{"created once, target deleted", with(func(f *facts) {
			f.policy = esv1.RefreshPolicyCreatedOnce
			f.targetExists = false
		}), true, 0},
		{"on change, not due", with(func(f *facts) {
			f.policy = esv1.RefreshPolicyOnChange
			f.lastSync = now.Add(-48 * time.Hour)
		}), false, 0},
		{"on change, spec changed", with(func(f *facts) {
			f.policy = esv1.RefreshPolicyOnChange
			f.currentVersion = "2-a"
		}), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decide(tt.in)
			if got.sync != tt.sync || got.requeueAfter != tt.requeueAfter {
				t.Fatalf("decide() = sync %v after %s (%s); want sync %v after %s",
					got.sync, got.requeueAfter, got.why, tt.sync, tt.requeueAfter)
			}
		})
	}
}

func TestJitterFor(t *testing.T) {
	if j := jitterFor("a", 0); j != 0 {
		t.Fatalf("jitter of interval 0 = %s", j)
	}
	if first, again := jitterFor("uid-1", time.Hour), jitterFor("uid-1", time.Hour); first != again {
		t.Fatal("jitter is not deterministic")
	}
	seen := map[time.Duration]bool{}
	for _, uid := range []string{"a", "b", "c", "d", "e"} {
		j := jitterFor(uid, time.Hour)
		if j < 0 || j >= 6*time.Minute {
			t.Fatalf("jitter %s outside [0, 6m)", j)
		}
		seen[j] = true
	}
	if len(seen) < 2 {
		t.Fatal("jitter does not spread objects")
	}
	if j := jitterFor("x", 100*time.Hour); j >= 5*time.Minute {
		t.Fatalf("jitter %s above the 5m cap", j)
	}
}
