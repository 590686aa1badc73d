package externalsecret

import (
	"hash/fnv"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/handler"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// facts is everything decide needs, gathered by the reconciler without judging it.
type facts struct {
	now             time.Time
	interval        time.Duration // 0: no periodic refresh
	policy          esv1.ExternalSecretRefreshPolicy
	lastSync        time.Time // zero: never synced
	syncedVersion   string    // status.syncedResourceVersion
	currentVersion  string    // of the object as it is now
	ready           bool      // the Ready condition is True
	writesSecret    bool      // creationPolicy is not None
	targetExists    bool
	targetUntouched bool          // the target carries our label and its data matches our hash
	offset          time.Duration // the object's place on its refresh grid (refreshOffset)
}

// decision says whether to sync now, and when to look again otherwise.
type decision struct {
	sync bool
	// why is a short constant phrase for logs.
	why string
	// requeueAfter is when to look again if nothing else happens; 0 means never.
	requeueAfter time.Duration
}

// decide is the pure "is this ExternalSecret due?" policy.
func decide(f facts) decision {
	switch {
	case f.syncedVersion != f.currentVersion:
		return decision{sync: true, why: "spec or annotations changed"}
	case !f.ready:
		return decision{sync: true, why: "last sync did not succeed"}
	case f.writesSecret && !f.targetExists:
		return decision{sync: true, why: "target Secret is missing"}
	case f.writesSecret && !f.targetUntouched:
		return decision{sync: true, why: "target Secret was changed outside Ferry"}
	}
	if !periodic(f.policy, f.interval) {
		return decision{}
	}
	due := nextRefresh(f.lastSync, f.interval, f.offset)
	if !f.now.Before(due) {
		return decision{sync: true, why: "refresh interval elapsed"}
	}
	return decision{requeueAfter: due.Sub(f.now)}
}

// periodic says whether the object is refreshed on a timer at all.
func periodic(policy esv1.ExternalSecretRefreshPolicy, interval time.Duration) bool {
	switch policy {
	case esv1.RefreshPolicyCreatedOnce, esv1.RefreshPolicyOnChange:
		return false
	default:
		return interval > 0
	}
}

// nextAfterSync is when to look again after a successful sync at now.
func nextAfterSync(policy esv1.ExternalSecretRefreshPolicy, now time.Time, interval, offset time.Duration) time.Duration {
	if !periodic(policy, interval) {
		return 0
	}
	return nextRefresh(now, interval, offset).Sub(now)
}

// maxGridInterval bounds the intervals laid on the grid; longer ones (years) simply follow
// the last sync, which keeps the arithmetic of nextRefresh far from overflowing.
const maxGridInterval = 365 * 24 * time.Hour

// nextRefresh is when an object last synced (or confirmed unchanged) at last is due again:
// the first instant after last on its refresh grid, which repeats every interval from the
// Unix epoch, shifted by the object's offset. Objects of one store and interval thus come
// due within one jitter spread of each other wherever their last syncs fell — after a
// restart too — so that one version check of the store serves all their refreshes; and two
// refreshes of an object are never more than an interval apart.
func nextRefresh(last time.Time, interval, offset time.Duration) time.Time {
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

// refreshPriority is the queue priority of periodic refreshes: below the default priority
// at which controller-runtime's priority queue enqueues new objects and changes, so that
// first syncs go before refreshes.
func refreshPriority() *int {
	p := handler.LowPriority
	return &p
}

// jitterSpread is the width of an interval's refresh window: a tenth of the interval, at
// most five minutes.
func jitterSpread(interval time.Duration) time.Duration {
	return min(interval/10, 5*time.Minute)
}

// refreshOffset places an object on its refresh grid: the window of its default store,
// placed in the interval by the store's name so that stores do not all refresh at once,
// and within it the object's own jitter.
func refreshOffset(es *esv1.ExternalSecret, interval time.Duration) time.Duration {
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
	spread := jitterSpread(interval)
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
