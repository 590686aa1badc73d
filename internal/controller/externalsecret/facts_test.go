package externalsecret

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// TestFactsTrustOwnSyncOverStaleCache: right after a sync, the cached object may still
// show the status from before it. The reconciler's own record of the sync must win, or the
// object syncs twice — and generators generate twice.
func TestFactsTrustOwnSyncOverStaleCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	stale := &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{UID: "uid-1", Generation: 1},
		Spec: esv1.ExternalSecretSpec{RefreshInterval: esv1.NewDuration(time.Hour),
			Target: esv1.ExternalSecretTarget{CreationPolicy: esv1.CreatePolicyNone}},
	}
	r := &Reconciler{}
	if d := decide(r.facts(&scope{es: stale, now: now})); !d.sync {
		t.Fatal("an object never synced must sync")
	}

	r.lastSync.Store(stale.UID, syncRecord{at: now, version: syncedVersion(stale)})
	if d := decide(r.facts(&scope{es: stale, now: now.Add(time.Second)})); d.sync {
		t.Errorf("synced again (%s) although this process just synced this version", d.why)
	}

	changed := stale.DeepCopy()
	changed.Annotations = map[string]string{esv1.AnnotationForceSync: "1"}
	if d := decide(r.facts(&scope{es: changed, now: now.Add(time.Second)})); !d.sync {
		t.Error("a changed object must sync even with a record of the previous version")
	}
}
