package cli

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// TestNextRefreshFollowsSyncWindows: status shows the refresh at the window's opening,
// where the controller schedules it, not at the next point of the grid.
func TestNextRefreshFollowsSyncWindows(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	es := esWith(corev1.ConditionTrue, esv1.ReasonSecretSynced, "")
	es.Spec.RefreshInterval = esv1.NewDuration(time.Minute)
	es.Status.RefreshTime = metav1.NewTime(now.Add(-30 * time.Second))
	es.Spec.SyncWindows = &esv1.SyncWindows{Kind: "allow", Windows: []esv1.SyncWindow{{Schedule: "0 15 * * *", Duration: "1h"}}}
	if got := nextCheck(es, time.Minute, now); !got.Equal(now.Add(3 * time.Hour)) {
		t.Errorf("next check = %s, want the opening at 15:00", got)
	}
	if got := nextRefresh(es, now); got != "in ~3h" {
		t.Errorf("nextRefresh = %q, want in ~3h", got)
	}
	es.Spec.SyncWindows.Windows[0].Schedule = "0 0 30 2 *"
	if got := nextRefresh(es, now); got != "never (no sync window opens again)" {
		t.Errorf("nextRefresh with a window that never opens = %q", got)
	}
}
