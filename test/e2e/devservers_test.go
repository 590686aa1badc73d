package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/devservers"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestEnterpriseProviderSnippets applies, with kubectl, the manifests `make dev` writes for
// the enterprise and developer-platform providers that have no emulator (1Password
// Connect, Bitwarden, Passbolt and Yandex among them; internal/devservers/testdata: a
// credentials Secret, a SecretStore and ExternalSecrets per provider, shaped as ESO's
// documentation snippets) against their in-process stand-ins, and checks that every
// ExternalSecret becomes Ready with SecretSynced and that its Secret holds exactly the
// bytes seeded in the stand-in. The operator reaches OCI's hosts through the loopback proxy
// OperatorEnv names, as on `make dev`.
func TestEnterpriseProviderSnippets(t *testing.T) {
	servers, err := devservers.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(servers.Close)
	files, err := servers.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env, err := servers.OperatorEnv(dir)
	if err != nil {
		t.Fatal(err)
	}
	startFerry(t, env)
	const ns = "eso-snippets"
	ensureNamespace(t, ns)
	for _, p := range devservers.Providers {
		path := filepath.Join(dir, p+".yaml")
		if err := os.WriteFile(path, files[p+".yaml"], 0o600); err != nil {
			t.Fatal(err)
		}
		kubectl(t, "apply", "-n", ns, "-f", path)
	}

	ctx := context.Background()
	for _, target := range servers.Targets() {
		t.Run(target.Provider+"/"+target.ExternalSecret, func(t *testing.T) {
			testenv.Eventually(t, 60*time.Second, "the ExternalSecret is Ready and its Secret holds the seeded bytes", func() (bool, error) {
				var es esv1.ExternalSecret
				if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: target.ExternalSecret}, &es); err != nil {
					return false, err
				}
				var ready esv1.ExternalSecretStatusCondition
				for _, c := range es.Status.Conditions {
					if c.Type == esv1.ExternalSecretReady {
						ready = c
					}
				}
				if ready.Status != corev1.ConditionTrue || ready.Reason != "SecretSynced" {
					return false, fmt.Errorf("Ready is %q (%s: %s)", ready.Status, ready.Reason, ready.Message)
				}
				var secret corev1.Secret
				if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: target.Secret}, &secret); err != nil {
					return false, err
				}
				got := map[string]string{}
				for k, v := range secret.Data {
					got[k] = string(v)
				}
				if !maps.Equal(got, target.Data) {
					return false, fmt.Errorf("secret %s holds keys %v: not exactly the %d keys and values seeded", target.Secret, keys(got), len(target.Data))
				}
				return true, nil
			})
		})
	}
}

// keys lists a map's keys, never its values, for a failure message.
func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
