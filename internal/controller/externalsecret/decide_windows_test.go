package externalsecret

import (
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/schedule"
)

func TestDecideWithSyncWindows(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 30, 0, 0, time.UTC) // a Thursday
	windows := func(kind, sched, duration string) *schedule.Windows {
		w, err := schedule.ParseWindows(&esv1.SyncWindows{Kind: kind, Windows: []esv1.SyncWindow{{Schedule: sched, Duration: duration}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	evening := windows(schedule.WindowsAllow, "0 18 * * *", "2h")
	lunch := windows(schedule.WindowsDeny, "0 12 * * *", "1h")
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
		{"due outside an allow window: wait for its opening", with(func(f *facts) {
			f.windows, f.lastSync = evening, now.Add(-2*time.Hour)
		}), false, 5*time.Hour + 30*time.Minute},
		{"not due: the grid point moves to the opening", with(func(f *facts) { f.windows = evening }), false, 5*time.Hour + 30*time.Minute},
		{"due inside a deny window: wait for its closing", with(func(f *facts) {
			f.windows, f.lastSync = lunch, now.Add(-2*time.Hour)
		}), false, 30 * time.Minute},
		{"grid point inside a deny window: moved to its closing", with(func(f *facts) {
			f.windows, f.interval, f.lastSync = lunch, 10*time.Minute, now.Add(-5*time.Minute)
		}), false, 30 * time.Minute},
		{"due inside an allow window", with(func(f *facts) {
			f.windows, f.now, f.lastSync = evening, now.Add(6*time.Hour), now.Add(-2*time.Hour)
		}), true, 0},
		{"spec change syncs at once", with(func(f *facts) { f.windows, f.currentVersion = evening, "2-a" }), true, 0},
		{"force-sync annotation syncs at once", with(func(f *facts) { f.windows, f.currentVersion = lunch, "1-b" }), true, 0},
		{"edited target is repaired at once", with(func(f *facts) { f.windows, f.targetUntouched = evening, false }), true, 0},
		{"failed sync is retried at once", with(func(f *facts) { f.windows, f.ready = evening, false }), true, 0},
		{"on change: windows do not matter", with(func(f *facts) {
			f.windows, f.policy, f.lastSync = evening, esv1.RefreshPolicyOnChange, now.Add(-48*time.Hour)
		}), false, 0},
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

	// After a sync at 12:30 the next refresh is not 13:30 (inside no evening window) but
	// 18:00, the opening.
	if got := nextAfterSync(esv1.RefreshPolicyPeriodic, now, time.Hour, 0, evening); got != 5*time.Hour+30*time.Minute {
		t.Fatalf("nextAfterSync = %s, want 5h30m", got)
	}
	if got := nextAfterSync(esv1.RefreshPolicyPeriodic, now, time.Hour, 0, nil); got != 30*time.Minute {
		t.Fatalf("nextAfterSync without windows = %s, want 30m", got)
	}
}
