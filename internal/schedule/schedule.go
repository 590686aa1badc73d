package schedule

import (
	"hash/fnv"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Periodic says whether the object is refreshed on a timer at all.
func Periodic(policy esv1.ExternalSecretRefreshPolicy, interval time.Duration) bool {
	switch policy {
	case esv1.RefreshPolicyCreatedOnce, esv1.RefreshPolicyOnChange:
		return false
	default:
		return interval > 0
	}
}

// maxGridInterval bounds the intervals laid on the grid; longer ones (years) simply follow
// the last sync, which keeps the arithmetic of nextRefresh far from overflowing.
const maxGridInterval = 365 * 24 * time.Hour

// Next is when an object last synced (or confirmed unchanged) at last is due again:
// the first instant after last on its refresh grid, which repeats every interval from the
// Unix epoch, shifted by the object's offset. Objects of one store and interval thus come
// due within one jitter spread of each other wherever their last syncs fell — after a
// restart too — so that one version check of the store serves all their refreshes; and two
// refreshes of an object are never more than an interval apart.
func Next(last time.Time, interval, offset time.Duration) time.Time {
	if last.IsZero() {
		return last
	}
	if interval > maxGridInterval {
		return last.Add(interval + offset%interval)
	}
	i := int64(interval)
	shifted := last.UnixNano() - int64(offset%interval)
	n := shifted / i
	if shifted < 0 && shifted%i != 0 {
		n-- // floor, for times before the epoch
	}
	return time.Unix(0, (n+1)*i+int64(offset%interval)).In(last.Location())
}

// JitterSpread is the width of an interval's refresh window: a tenth of the interval, at
// most five minutes.
func JitterSpread(interval time.Duration) time.Duration {
	return min(interval/10, 5*time.Minute)
}

// Offset places an object on its refresh grid: the window of its default store,
// placed in the interval by the store's name so that stores do not all refresh at once,
// and within it the object's own jitter.
func Offset(es *esv1.ExternalSecret, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	ref := es.Spec.SecretStoreRef
	store := ref.Kind + "/" + ref.Name
	if ref.Kind != esv1.ClusterSecretStoreKind {
		store = es.Namespace + "/" + store
	}
	return time.Duration(hash64(store)%uint64(interval)) + jitterFor(string(es.UID), interval) //nolint:gosec // below interval
}

// jitterFor spreads the refreshes of a store's objects over its refresh window,
// deterministically per object.
func jitterFor(uid string, interval time.Duration) time.Duration {
	spread := JitterSpread(interval)
	if spread <= 0 {
		return 0
	}
	return time.Duration(hash64(uid) % uint64(spread)) //nolint:gosec // below spread
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}
