package rollout_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/ferryhq/ferry/internal/testenv"
)

// TestRestartOnlyWhatUsesTheChange: a workload that reads a Secret through some keys only
// restarts when one of those keys changes; one that reads it whole, on any change.
func TestRestartOnlyWhatUsesTheChange(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	startFerry(t, ns, fast())
	create(t, secret(ns, "db-creds", nil, "username", "app", "password", oldPassword))
	byKey := deployment(ns, "by-key", auto(), pod(container([]corev1.EnvVar{envSecret("db-creds", "password")})))
	whole := deployment(ns, "whole", auto(), pod(container(nil, envFromSecret("db-creds"))))
	items := secretVolume("db-creds")
	items.Secret.Items = []corev1.KeyToPath{{Key: "username", Path: "user"}}
	byItem := deployment(ns, "by-item", auto(), pod(container(nil), items))
	create(t, byKey)
	create(t, whole)
	create(t, byItem)
	keyBefore := waitRecorded(t, byKey, "secret/db-creds:password")
	wholeBefore := waitRecorded(t, whole, "secret/db-creds")
	itemBefore := waitRecorded(t, byItem, "secret/db-creds:username")

	setSecret(t, ns, "db-creds", "username", "app2", "password", oldPassword)
	wholeAfter := waitRolled(t, whole, wholeBefore)
	waitRolled(t, byItem, itemBefore)
	assertUnchanged(t, byKey, keyBefore)

	setSecret(t, ns, "db-creds", "username", "app2", "password", newPassword)
	after := waitRolled(t, byKey, keyBefore)
	waitRolled(t, whole, wholeAfter)
	want := wantDigest(map[string]map[string]string{"secret/db-creds:password": {"password": newPassword}})
	if after.digest != want {
		t.Errorf("digest %s, want the keyed digest of the used key only %s", after.digest, want)
	}
}
