package externalsecret_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

func windowed(ns, name, store, kind, schedule, duration string) *esv1.ExternalSecret {
	es := externalSecret(ns, name, store, time.Second)
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("value", "k", "")}
	es.Spec.SyncWindows = &esv1.SyncWindows{Kind: kind, Windows: []esv1.SyncWindow{{Schedule: schedule, Duration: duration}}}
	return es
}

// TestSyncWindowDenyHoldsRefreshesUntilForced: inside a deny window a changed remote value
// is not refreshed, while an object without windows on the same store takes it; the
// force-sync annotation syncs at once, window or not.
func TestSyncWindowDenyHoldsRefreshesUntilForced(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	store := fakeStore(t, ns, "store", "k", "v1")
	// Opens every midnight for a day: always closed to refreshes.
	held := windowed(ns, "held", "store", "deny", "@daily", "24h")
	create(t, held)
	free := externalSecret(ns, "free", "store", time.Second)
	free.Spec.Data = []esv1.ExternalSecretData{dataRef("value", "k", "")}
	create(t, free)
	// The first sync is not a periodic refresh: it happens in the window.
	waitSecretData(t, ns, "held", map[string]string{"value": "v1"})
	waitSecretData(t, ns, "free", map[string]string{"value": "v1"})

	// Two changes, each seen by the free object's refresh: the held object, on the same
	// refresh grid, would have refreshed at least once by the second.
	update(t, store, func(s *esv1.SecretStore) { s.Spec.Provider.Fake.Data = fakeData("k", "v2") })
	waitSecretData(t, ns, "free", map[string]string{"value": "v2"})
	update(t, store, func(s *esv1.SecretStore) { s.Spec.Provider.Fake.Data = fakeData("k", "v3") })
	waitSecretData(t, ns, "free", map[string]string{"value": "v3"})
	secret := &corev1.Secret{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "held"}, secret); err != nil {
		t.Fatal(err)
	}
	if got := string(secret.Data["value"]); got != "v1" {
		t.Fatalf("inside a deny window the Secret was refreshed to %q", got)
	}
	waitReady(t, held, corev1.ConditionTrue, esv1.ReasonSecretSynced)

	update(t, held, func(es *esv1.ExternalSecret) { es.Annotations = map[string]string{esv1.AnnotationForceSync: "1"} })
	waitSecretData(t, ns, "held", map[string]string{"value": "v3"})
}

// TestSyncWindowAllowRefreshesOnlyInsideTheWindow: a remote change made outside an allow
// window reaches the Secret at the window's opening, and the sync that brought it ran
// inside the window.
func TestSyncWindowAllowRefreshesOnlyInsideTheWindow(t *testing.T) {
	const period, open = 20 * time.Second, 3 * time.Second
	ns := testenv.Namespace(t, k8s, nil)
	store := fakeStore(t, ns, "store", "k", "v1")
	// Opens at every multiple of 20s since the Unix epoch, for 3s.
	es := windowed(ns, "es", "store", "allow", "@every 20s", "3s")
	create(t, es)
	waitSecretData(t, ns, "es", map[string]string{"value": "v1"})
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	firstSync := es.Status.RefreshTime
	// refreshTime has a resolution of a second: change the value in a later one, so the
	// refresh that brings it shows as a new refreshTime.
	time.Sleep(time.Until(firstSync.Add(time.Second)))

	update(t, store, func(s *esv1.SecretStore) { s.Spec.Provider.Fake.Data = fakeData("k", "v2") })
	changed := time.Now()
	opening := changed.Truncate(period)
	if changed.Sub(opening) >= open {
		opening = opening.Add(period)
	} else {
		opening = changed // changed inside a window: refreshed in this one
	}
	waitSecretDataWithin(t, ns, "es", map[string]string{"value": "v2"}, 2*period)
	// The status that records the refresh follows the Secret (docs/behaviour.md, Status).
	testenv.Eventually(t, 20*time.Second, "refreshTime moved past the first sync", func() (bool, error) {
		err := k8s.Get(context.Background(), client.ObjectKeyFromObject(es), es)
		return err == nil && !es.Status.RefreshTime.Equal(&firstSync), err
	})
	refreshed := es.Status.RefreshTime.Time // to the second
	if refreshed.Before(opening.Truncate(time.Second)) {
		t.Errorf("refreshed at %s, before the window opened at %s", refreshed, opening)
	}
	if into := refreshed.Sub(refreshed.Truncate(period)); into >= open {
		t.Errorf("refreshed at %s, %s into a period whose window lasts %s", refreshed, into, open)
	}
}

// TestSyncWindowThatDoesNotParse: a schedule the CRD's pattern admits but no cron reads is
// reported on the Ready condition and in an event naming the field; no Secret is written.
func TestSyncWindowThatDoesNotParse(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", "k", "v1")
	es := windowed(ns, "es", "store", "allow", "0 25 * * *", "1h")
	create(t, es)
	msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonInvalidSpec)
	if !strings.Contains(msg, `spec.syncWindows.windows[0].schedule: "0 25 * * *"`) {
		t.Errorf("Ready message %q does not name the schedule", msg)
	}
	testenv.Eventually(t, 20*time.Second, "an InvalidSpec event", func() (bool, error) {
		for _, note := range eventNotes(t, ns) {
			if strings.HasPrefix(note, esv1.ReasonInvalidSpec+": ") && strings.Contains(note, "spec.syncWindows.windows[0].schedule") {
				return true, nil
			}
		}
		return false, nil
	})
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "es"}, &corev1.Secret{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("a Secret was written for an invalid spec: %v", err)
	}
}
