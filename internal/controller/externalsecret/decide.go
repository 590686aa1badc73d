package externalsecret

import (
	"time"

	"sigs.k8s.io/controller-runtime/pkg/handler"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/schedule"
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
	orphan          bool      // creationPolicy Orphan: the target is left as users edit it
	targetExists    bool
	targetUntouched bool          // the target carries our label and its data matches our hash
	offset          time.Duration // the object's place on its refresh grid (refreshOffset)
	// windows are spec.syncWindows, which gate periodic refreshes; nil allows all.
	windows        *schedule.Windows
	changeReported bool // a provider reported a change of a key the object reads
}

// decision says whether to sync now, and when to look again otherwise.
type decision struct {
	sync bool
	// why is a short constant phrase for logs.
	why string
	// requeueAfter is when to look again if nothing else happens; 0 means never.
	requeueAfter time.Duration
}

// decide is the pure "is this ExternalSecret due?" policy. It follows ESO's rules: an
// object with refreshPolicy CreatedOnce that synced once is never synced again for a spec
// change or a failed later attempt, only to replace a target that is gone or edited; and
// the target of creationPolicy Orphan is taken as valid as it is, edited or deleted, until
// the next refresh.
func decide(f facts) decision {
	createdOnce := f.policy == esv1.RefreshPolicyCreatedOnce && f.syncedVersion != ""
	checksTarget := f.writesSecret && !f.orphan
	switch {
	case f.syncedVersion != f.currentVersion && !createdOnce:
		return decision{sync: true, why: "spec or annotations changed"}
	case !f.ready && !createdOnce:
		return decision{sync: true, why: "last sync did not succeed"}
	case checksTarget && !f.targetExists:
		return decision{sync: true, why: "target Secret is missing"}
	case checksTarget && !f.targetUntouched:
		return decision{sync: true, why: "target Secret was changed outside Ferry"}
	}
	if !schedule.Periodic(f.policy, f.interval) {
		return decision{}
	}
	if f.changeReported {
		// Only objects that refresh at all follow reported changes: CreatedOnce, OnChange and
		// refreshInterval 0 keep their meaning.
		return decision{sync: true, why: "provider reported a change"}
	}
	due := schedule.Next(f.lastSync, f.interval, f.offset)
	if !f.now.Before(due) {
		if f.windows.Allows(f.now) {
			return decision{sync: true, why: "refresh interval elapsed"}
		}
		due = f.now
	}
	return lookAgainAt(f.windows.NextAllowed(due), f.now)
}

// lookAgainAt requeues for the instant at; zero means never (no sync window opens again).
func lookAgainAt(at, now time.Time) decision {
	if at.IsZero() {
		return decision{}
	}
	// Never 0, which would mean never.
	return decision{requeueAfter: max(at.Sub(now), time.Millisecond)}
}

// nextAfterSync is when to look again after a successful sync at now: the next point of the
// refresh grid, or the first instant after it that the sync windows allow.
func nextAfterSync(policy esv1.ExternalSecretRefreshPolicy, now time.Time, interval, offset time.Duration, windows *schedule.Windows) time.Duration {
	if !schedule.Periodic(policy, interval) {
		return 0
	}
	return lookAgainAt(windows.NextAllowed(schedule.Next(now, interval, offset)), now).requeueAfter
}

// refreshPriority is the queue priority of periodic refreshes: below the default priority
// at which controller-runtime's priority queue enqueues new objects and changes, so that
// first syncs go before refreshes.
func refreshPriority() *int {
	p := handler.LowPriority
	return &p
}
