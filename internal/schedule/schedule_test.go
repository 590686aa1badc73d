package schedule

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

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
			if got := Next(tt.last, tt.interval, tt.offset); !got.Equal(tt.want) {
				t.Fatalf("Next(%s, %s, %s) = %s, want %s", tt.last, tt.interval, tt.offset, got, tt.want)
			}
		})
	}
	// Wherever the last sync fell, the next refresh is on the grid, after it, and at most an
	// interval later.
	last := at(9, 0)
	for i := range 500 {
		last = last.Add(time.Duration(i) * 7919 * time.Millisecond)
		interval, offset := 2*time.Minute, 13*time.Second
		next := Next(last, interval, offset)
		if !next.After(last) || next.Sub(last) > interval || (next.UnixNano()-int64(offset))%int64(interval) != 0 {
			t.Fatalf("Next(%s) = %s: not on the grid within (last, last+interval]", last, next)
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

func TestOffsetKeepsAStoreInOneWindow(t *testing.T) {
	const interval = 10 * time.Minute
	es := func(ns, store, uid string) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, UID: types.UID(uid)},
			Spec: esv1.ExternalSecretSpec{SecretStoreRef: esv1.SecretStoreRef{Kind: esv1.ClusterSecretStoreKind, Name: store}}}
	}
	// The objects of one store, in any namespace, come due within one jitter spread.
	lo, hi := time.Duration(1<<62), time.Duration(0)
	for i := range 200 {
		o := Offset(es(fmt.Sprintf("ns-%d", i%7), "shared", fmt.Sprintf("uid-%d", i)), interval) % interval
		lo, hi = min(lo, o), max(hi, o)
	}
	if spread := hi - lo; spread >= JitterSpread(interval) && spread <= interval-JitterSpread(interval) {
		t.Fatalf("offsets of one store span %s, wider than the %s window", spread, JitterSpread(interval))
	}
	phases := map[time.Duration]bool{}
	for _, store := range []string{"a", "b", "c", "d"} {
		phases[Offset(es("ns", store, "same-uid"), interval)] = true
	}
	if len(phases) < 2 {
		t.Fatal("every store refreshes in the same window")
	}
}
