package externalsecret

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 30, 0, 0, time.UTC)
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
		{"in sync, due at the next grid point", synced, false, 30 * time.Minute},
		{"offset shifts the grid", with(func(f *facts) { f.offset = 45 * time.Minute }), false, 15 * time.Minute},
		{"grid point before the last sync is past", with(func(f *facts) { f.offset = 15 * time.Minute }), false, 45 * time.Minute},
		{"due", with(func(f *facts) { f.lastSync = now.Add(-31 * time.Minute) }), true, 0},
		{"due with offset", with(func(f *facts) { f.offset = 25 * time.Minute; f.lastSync = now.Add(-6 * time.Minute) }), true, 0},
		{"never synced", with(func(f *facts) { f.syncedVersion = "" }), true, 0},
		{"spec changed", with(func(f *facts) { f.currentVersion = "2-a" }), true, 0},
		{"annotation changed", with(func(f *facts) { f.currentVersion = "1-b" }), true, 0},
		{"not ready", with(func(f *facts) { f.ready = false }), true, 0},
		{"target deleted", with(func(f *facts) { f.targetExists = false }), true, 0},
		{"target edited", with(func(f *facts) { f.targetUntouched = false }), true, 0},
		{"creation none ignores target", with(func(f *facts) { f.writesSecret = false; f.targetExists = false }), false, 30 * time.Minute},
		{"interval 0 syncs once", with(func(f *facts) { f.interval = 0; f.lastSync = now.Add(-48 * time.Hour) }), false, 0},
		{"reported change syncs before the grid point", with(func(f *facts) { f.changeReported = true }), true, 0},
		{"reported change, interval 0: synced once only", with(func(f *facts) { f.changeReported, f.interval = true, 0 }), false, 0},
		{"reported change, OnChange policy: not followed", with(func(f *facts) {
			f.changeReported, f.policy = true, esv1.RefreshPolicyOnChange
		}), false, 0},
		{"created once", with(func(f *facts) {
			f.policy = esv1.RefreshPolicyCreatedOnce
			f.lastSync = now.Add(-48 * time.Hour)
		}), false, 0},
		{"created once, target deleted", with(func(f *facts) {
			f.policy = esv1.RefreshPolicyCreatedOnce
			f.targetExists = false
		}), true, 0},
		// ESO: CreatedOnce never syncs again once synced, even when the spec changes or a
		// later attempt failed; only a target that is gone or edited is replaced.
		{"created once, spec changed", with(func(f *facts) {
			f.policy = esv1.RefreshPolicyCreatedOnce
			f.currentVersion = "2-a"
		}), false, 0},
		{"created once, later failure", with(func(f *facts) {
			f.policy = esv1.RefreshPolicyCreatedOnce
			f.ready = false
		}), false, 0},
		{"created once, never synced", with(func(f *facts) {
			f.policy = esv1.RefreshPolicyCreatedOnce
			f.syncedVersion, f.ready, f.targetExists = "", false, false
		}), true, 0},
		// ESO: an Orphan target is always valid; it is rewritten only on refresh or spec change.
		{"orphan, target edited", with(func(f *facts) { f.orphan, f.targetUntouched = true, false }), false, 30 * time.Minute},
		{"orphan, target deleted", with(func(f *facts) { f.orphan, f.targetExists = true, false }), false, 30 * time.Minute},
		{"orphan, due", with(func(f *facts) { f.orphan, f.targetUntouched = true, false; f.lastSync = now.Add(-31 * time.Minute) }), true, 0},
		{"orphan, spec changed", with(func(f *facts) { f.orphan, f.currentVersion = true, "2-a" }), true, 0},
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

func TestMaxCacheAge(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	es := func(interval time.Duration, created time.Duration, synced string) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{
			ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(now.Add(-created))},
			Spec:       esv1.ExternalSecretSpec{RefreshInterval: esv1.NewDuration(interval)},
			Status:     esv1.ExternalSecretStatus{SyncedResourceVersion: synced},
		}
	}
	tests := []struct {
		name     string
		es       *esv1.ExternalSecret
		interval time.Duration // 0: the object's own
		forced   bool
		want     time.Duration
	}{
		{"refresh: the window", es(time.Hour, time.Hour, "1-a"), 0, false, 5 * time.Minute},
		{"refresh of a short interval", es(time.Minute, time.Hour, "1-a"), 0, false, 6 * time.Second},
		{"refresh at the safety interval: its window", es(time.Minute, time.Hour, "1-a"), time.Hour, false, 5 * time.Minute},
		{"interval 0", es(0, time.Hour, "1-a"), 0, false, time.Minute},
		{"first sync: since creation", es(time.Hour, 90*time.Second, ""), 0, true, 89 * time.Second},
		{"first sync of an old object: the interval", es(time.Hour, 3*time.Hour, ""), 0, true, time.Hour},
		{"first sync of a short interval", es(time.Minute, time.Hour, ""), 0, true, time.Minute},
		{"first sync within its first second", es(time.Hour, 0, ""), 0, true, 0},
		{"spec changed: read now", es(time.Hour, time.Hour, "1-a"), 0, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			interval := tt.interval
			if interval == 0 {
				interval = tt.es.Spec.RefreshInterval.Duration
			}
			if got := maxCacheAge(tt.es, interval, tt.forced, false, now); got != tt.want {
				t.Fatalf("maxCacheAge = %s, want %s", got, tt.want)
			}
		})
	}
}
