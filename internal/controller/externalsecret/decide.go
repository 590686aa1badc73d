package externalsecret

import (
	"hash/fnv"
	"time"

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
	targetUntouched bool // the target carries our label and its data matches our hash
	jitter          time.Duration
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
	due := f.lastSync.Add(f.interval + f.jitter)
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

// nextAfterSync is when to look again after a successful sync.
func nextAfterSync(policy esv1.ExternalSecretRefreshPolicy, interval, jitter time.Duration) time.Duration {
	if !periodic(policy, interval) {
		return 0
	}
	return interval + jitter
}

// jitterFor spreads refreshes of many objects over up to a tenth of the interval (at most
// five minutes), deterministically per object, so that a restart does not align them.
func jitterFor(uid string, interval time.Duration) time.Duration {
	spread := interval / 10
	if spread > 5*time.Minute {
		spread = 5 * time.Minute
	}
	if spread <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(uid))
	return time.Duration(h.Sum64() % uint64(spread)) //nolint:gosec // the remainder is below spread, an int64
}
