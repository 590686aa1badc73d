package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ferryhq/ferry/internal/testenv"
)

// TestESODocsSyncWindows: inside a deny window a value changed at moto does not reach the
// Secret, while an ExternalSecret without windows on the same store and interval takes it;
// the window is read in the zone of ferry.dev/sync-windows-time-zone when it names one; the
// force-sync annotation ESO documents syncs at once, window or not.
func TestESODocsSyncWindows(t *testing.T) {
	ctx := context.Background()
	moto := testenv.MustStartMoto(t)
	sm := secretsManager(t, moto.Endpoint)
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("esodocs/windows"),
		SecretString: aws.String("before-the-window")}); err != nil {
		t.Fatal(err)
	}
	startFerry(t, motoEnv(moto))
	// A daily window opened a minute ago in Tokyo (UTC+9, no daylight saving time): read in
	// UTC, the same schedule opened nine hours from now, so it is closed.
	zone, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Now().In(zone).Add(-time.Minute)
	applyESODoc(t, "sync-windows.yaml", map[string]string{"ZONE": "Asia/Tokyo",
		"ZONE_SCHEDULE": fmt.Sprintf("%d %d * * *", opened.Minute(), opened.Hour())})
	const ns = "esodocs-windows"
	for _, name := range []string{"held-utc", "held-in-zone", "free"} {
		// The first sync is not a periodic refresh: it happens inside a deny window too.
		if got := waitSecretKeys(t, 30*time.Second, ns, name, "password")["password"]; got != "before-the-window" {
			t.Fatalf("%s: first sync wrote %q", name, got)
		}
	}

	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("esodocs/windows"),
		SecretString: aws.String("changed-in-the-window")}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 15*time.Second, "the object without windows refreshed", func() (bool, error) {
		return secretData(ns, "free")["password"] == "changed-in-the-window", nil
	})
	// Two more refresh intervals: the held objects, on the same grid, were due at least twice.
	time.Sleep(5 * time.Second)
	for _, name := range []string{"held-utc", "held-in-zone"} {
		if got := secretData(ns, name)["password"]; got != "before-the-window" {
			t.Errorf("%s: inside its deny window the Secret was refreshed (it holds %d bytes of the new value)", name, len(got))
		}
		if reason, msg := readyReason(ns, "externalsecret", name); reason != "SecretSynced" {
			t.Errorf("%s: Ready reason %q (%s), want SecretSynced", name, reason, msg)
		}
	}

	kubectl(t, "annotate", "externalsecret", "-n", ns, "held-utc", fmt.Sprintf("force-sync=%d", time.Now().Unix()), "--overwrite")
	testenv.Eventually(t, 10*time.Second, "held-utc synced by force-sync", func() (bool, error) {
		return secretData(ns, "held-utc")["password"] == "changed-in-the-window", nil
	})
	if got := secretData(ns, "held-in-zone")["password"]; got != "before-the-window" {
		t.Error("held-in-zone was refreshed when only held-utc was forced")
	}
}
