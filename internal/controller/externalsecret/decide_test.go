package externalsecret

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

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

func TestNextRefresh(t *testing.T) {
	at := func(hh, mm int) time.Time { return time.Date(2026, 1, 1, hh, mm, 0, 0, time.UTC) }
	tests := []struct {
		name             string
		last             time.Time
		interval, offset time.Duration
		want             time.Time
	}{
		{"next grid point", at(12, 20), time.Hour, 0, at(13, 0)},
		{"on a grid point: a whole interval later", at(12, 0), time.Hour, 0, at(13, 0)},
		{"offset", at(12, 20), time.Hour, 45 * time.Minute, at(12, 45)},
		{"offset above the interval wraps", at(12, 20), time.Hour, 105 * time.Minute, at(12, 45)},
		{"short interval", at(12, 20).Add(7 * time.Second), 30 * time.Second, 5 * time.Second, at(12, 20).Add(35 * time.Second)},
		{"never synced: due now", time.Time{}, time.Hour, 0, time.Time{}},
		{"years: from the last sync", at(12, 0), 2 * maxGridInterval, 0, at(12, 0).Add(2 * maxGridInterval)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextRefresh(tt.last, tt.interval, tt.offset); !got.Equal(tt.want) {
				t.Fatalf("nextRefresh(%s, %s, %s) = %s, want %s", tt.last, tt.interval, tt.offset, got, tt.want)
			}
		})
	}
	// Wherever the last sync fell, the next refresh is on the grid, after it, and at most an
	// interval later.
	last := at(9, 0)
	for i := range 500 {
		last = last.Add(time.Duration(i) * 7919 * time.Millisecond)
		interval, offset := 2*time.Minute, 13*time.Second
		next := nextRefresh(last, interval, offset)
		if !next.After(last) || next.Sub(last) > interval || (next.UnixNano()-int64(offset))%int64(interval) != 0 {
			t.Fatalf("nextRefresh(%s) = %s: not on the grid within (last, last+interval]", last, next)
		}
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
		if j < 0 || j >= 5*time.Minute {
			t.Fatalf("jitter %s outside [0, 5m)", j)
		}
		seen[j] = true
	}
	if len(seen) < 2 {
		t.Fatal("jitter does not spread objects")
	}
	if j := jitterFor("x", 20*time.Second); j >= 2*time.Second {
		t.Fatalf("jitter %s above a tenth of the interval", j)
	}
}

func TestRefreshOffsetKeepsAStoreInOneWindow(t *testing.T) {
	const interval = 10 * time.Minute
	es := func(ns, store, uid string) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, UID: types.UID(uid)},
			Spec: esv1.ExternalSecretSpec{SecretStoreRef: esv1.SecretStoreRef{Kind: esv1.ClusterSecretStoreKind, Name: store}}}
	}
	// The objects of one store, in any namespace, come due within one jitter spread.
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for i := range 200 {
		o := refreshOffset(es(fmt.Sprintf("ns-%d", i%7), "shared", fmt.Sprintf("uid-%d", i)), interval) % interval
		lo, hi = min(lo, o), max(hi, o)
	}
	if spread := hi - lo; spread >= jitterSpread(interval) && spread <= interval-jitterSpread(interval) {
		t.Fatalf("offsets of one store span %s, wider than the %s window", spread, jitterSpread(interval))
	}
	phases := map[time.Duration]bool{}
	for _, store := range []string{"a", "b", "c", "d"} {
		phases[refreshOffset(es("ns", store, "same-uid"), interval)] = true
	}
	if len(phases) < 2 {
		t.Fatal("every store refreshes in the same window")
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
		name   string
		es     *esv1.ExternalSecret
		forced bool
		want   time.Duration
	}{
		{"refresh: the window", es(time.Hour, time.Hour, "1-a"), false, 5 * time.Minute},
		{"refresh of a short interval", es(time.Minute, time.Hour, "1-a"), false, 6 * time.Second},
		{"interval 0", es(0, time.Hour, "1-a"), false, time.Minute},
		{"first sync: since creation", es(time.Hour, 90*time.Second, ""), true, 89 * time.Second},
		{"first sync of an old object: the interval", es(time.Hour, 3*time.Hour, ""), true, time.Hour},
		{"first sync of a short interval", es(time.Minute, time.Hour, ""), true, time.Minute},
		{"first sync within its first second", es(time.Hour, 0, ""), true, 0},
		{"spec changed: read now", es(time.Hour, time.Hour, "1-a"), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maxCacheAge(tt.es, tt.forced, now); got != tt.want {
				t.Fatalf("maxCacheAge = %s, want %s", got, tt.want)
			}
		})
	}
}
