package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestStatus lists a synced and a failing ExternalSecret, in one namespace and in all.
func TestStatus(t *testing.T) {
	needControlPlane(t)
	ns := testenv.Namespace(t, k8s, nil)
	create(t, fakeStore(ns, "store", "db-password", "hunter2"))
	create(t, externalSecret(ns, "db", "store", "password", "db-password"))
	create(t, externalSecret(ns, "orphan", "no-such-store", "password", "db-password"))
	waitReason(t, ns, "db", esv1.ReasonSecretSynced)
	waitReason(t, ns, "orphan", esv1.ReasonStoreNotFound)

	out, err := run(t, "status", "-n", ns)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME ") || !strings.Contains(lines[0], "NEXT REFRESH") || !strings.HasSuffix(lines[0], "EVENTS") {
		t.Fatalf("status output:\n%s", out)
	}
	// Rows are sorted by name: db, orphan.
	if !regexp.MustCompile(`^db\s+SecretStore/store\s+True\s+SecretSynced\s+\d+s ago\s+in ~\d+[smh]\s+-$`).MatchString(lines[1]) {
		t.Errorf("row of the synced object: %q", lines[1])
	}
	if !regexp.MustCompile(`^orphan\s+SecretStore/no-such-store\s+False\s+StoreNotFound\s+never\s+retrying\s+-$`).MatchString(lines[2]) {
		t.Errorf("row of the failing object: %q", lines[2])
	}
	if strings.Contains(out, "hunter2") {
		t.Error("status printed a secret value")
	}

	out, err = run(t, "status", "-A")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.HasPrefix(out, "NAMESPACE ") || !regexp.MustCompile(`(?m)^`+ns+`\s+db\s`).MatchString(out) {
		t.Errorf("status -A output lacks the namespace column or the object:\n%s", out)
	}

	empty := testenv.Namespace(t, k8s, nil)
	if out, err := run(t, "status", "--namespace="+empty); err != nil || !strings.Contains(out, "No ExternalSecrets found in namespace "+empty) {
		t.Errorf("status of an empty namespace: %v\n%s", err, out)
	}
}

// TestSync changes the remote value of an object refreshed hourly and syncs it at once.
func TestSync(t *testing.T) {
	needControlPlane(t)
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	store := fakeStore(ns, "store", "db-password", "v1")
	create(t, store)
	create(t, externalSecret(ns, "db", "store", "password", "db-password"))
	waitReason(t, ns, "db", esv1.ReasonSecretSynced)

	setStoreValue(t, store, "v2")
	// Ferry's cache may see the store's new value a moment after the test wrote it; a second
	// sync then picks it up. Nothing else syncs the object: its refresh interval is an hour.
	testenv.Eventually(t, 20*time.Second, "sync brings v2", func() (bool, error) {
		// The flags after the name, as kubectl users write them.
		out, err := run(t, "sync", "db", "-n", ns, "--timeout", "30s")
		if err != nil || !strings.Contains(out, "externalsecret/db: synced") {
			return false, fmt.Errorf("%w: %s", err, out)
		}
		var secret corev1.Secret
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "db"}, &secret); err != nil {
			return false, err
		}
		return string(secret.Data["password"]) == "v2", nil
	})
	var es esv1.ExternalSecret
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "db"}, &es); err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.RFC3339Nano, es.Annotations[AnnotationForceSync]); err != nil {
		t.Errorf("force-sync annotation = %q, want a timestamp", es.Annotations[AnnotationForceSync])
	}

	// A sync that fails reports why, and the command fails.
	create(t, externalSecret(ns, "broken", "store", "password", "no-such-key"))
	waitReason(t, ns, "broken", esv1.ReasonSecretSyncedError)
	out, err := run(t, "sync", "broken", "-n", ns, "--timeout", "3s")
	if err == nil || !strings.Contains(out, "externalsecret/broken:") || !strings.Contains(out, `remote secret "no-such-key" not found`) {
		t.Errorf("sync of a failing object: err=%v\n%s", err, out)
	}
	if out, err := run(t, "sync", "nope", "-n", ns); err == nil || !strings.Contains(out, "not found in namespace "+ns) {
		t.Errorf("sync of a missing object: err=%v\n%s", err, out)
	}
}

// TestExplain follows failing ExternalSecrets to their stores and events.
func TestExplain(t *testing.T) {
	needControlPlane(t)
	ns := testenv.Namespace(t, k8s, nil)
	invalid := fakeStore(ns, "invalid")
	invalid.Spec.Provider.Fake.Data = []esv1.FakeProviderData{{Key: "", Value: "x"}}
	create(t, invalid)
	create(t, externalSecret(ns, "uses-invalid", "invalid", "k", "k"))
	create(t, fakeStore(ns, "store", "db-password", "hunter2"))
	create(t, externalSecret(ns, "db", "store", "password", "db-password"))
	create(t, externalSecret(ns, "orphan", "no-such-store", "k", "k"))
	waitReason(t, ns, "uses-invalid", esv1.ReasonStoreNotReady)
	waitReason(t, ns, "db", esv1.ReasonSecretSynced)
	waitReason(t, ns, "orphan", esv1.ReasonStoreNotFound)

	tests := []struct {
		name string
		want []string
	}{
		{"uses-invalid", []string{
			"ExternalSecret " + ns + "/uses-invalid",
			"Ready:    False, reason StoreNotReady",
			"Target:   Secret uses-invalid: does not exist",
			"SecretStore invalid",
			"Provider: fake",
			"reason InvalidProviderConfig",
			"Fix spec.provider of SecretStore invalid: spec.provider.fake.data[0].key: required",
			"Warning  StoreNotReady",
			"kubectl ferry sync uses-invalid -n " + ns,
		}},
		{"orphan", []string{"reason StoreNotFound", "SecretStore no-such-store", "Cannot read it", `It names SecretStore "no-such-store"`}},
		{"db", []string{"Ready:    True, reason SecretSynced", "exists, managed by Ferry", "Normal  Created", "Nothing: the Secret is in sync"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out string
			// Events reach the API server asynchronously.
			testenv.Eventually(t, 20*time.Second, "explain "+tt.name, func() (bool, error) {
				var err error
				out, err = run(t, "explain", tt.name, "-n", ns)
				if err != nil {
					return false, err
				}
				for _, w := range tt.want {
					if !strings.Contains(out, w) {
						return false, nil
					}
				}
				return true, nil
			})
			if strings.Contains(out, "hunter2") {
				t.Errorf("explain printed a secret value:\n%s", out)
			}
		})
	}
	if out, err := run(t, "explain", "nope", "-n", ns); err == nil || !strings.Contains(err.Error(), "not found in namespace") {
		t.Errorf("explain of a missing object: err=%v\n%s", err, out)
	}
}

func setStoreValue(t *testing.T, store *esv1.SecretStore, value string) {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(store), store); err != nil {
		t.Fatal(err)
	}
	store.Spec.Provider.Fake.Data[0].Value = value
	if err := k8s.Update(ctx, store); err != nil {
		t.Fatal(err)
	}
}
