package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/testenv"
)

// TestESODocsGenericTargets applies ESO's generic-target snippets (manifest-basic-configmap,
// manifest-templated-configmap) to Ferry started with ESO's --unsafe-allow-generic-targets
// and ConfigMaps as the one kind it may write: each ConfigMap holds what ESO's guide says
// (the remote values under their secretKeys; the rendered template), owned by its
// ExternalSecret and no Secret made instead; a ServiceAccount target is refused with the
// kind named and nothing created.
func TestESODocsGenericTargets(t *testing.T) {
	startFerry(t, nil, "--unsafe-allow-generic-targets", "--generic-target-kinds=ConfigMap")
	applyESODoc(t, "generic-targets.yaml", nil)
	const ns = "esodocs-generic"

	testenv.Eventually(t, 30*time.Second, "ConfigMap app-config with the remote values", func() (bool, error) {
		got := jsonpathOf(ns, "configmap", "app-config", "{.data}")
		return jsonEqual(got, `{"database-host":"db.internal.example","api-endpoint":"https://api.internal.example/v2"}`), nil
	})
	if got := jsonpathOf(ns, "configmap", "app-config", "{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}"); got != "ExternalSecret/application-config" {
		t.Errorf("app-config is owned by %q, want ExternalSecret/application-config", got)
	}
	if got := jsonpathOf(ns, "configmap", "app-config", `{.metadata.labels.reconcile\.external-secrets\.io/managed}`); got != "true" {
		t.Errorf("app-config managed label = %q, want true", got)
	}

	want := "host: postgres.internal.example\nport: 5432\ndatabase: orders\n" +
		`connection_string: "postgresql://user:s3cr3t-for-configmap@postgres.internal.example:5432/orders"` + "\n"
	testenv.Eventually(t, 30*time.Second, "ConfigMap database-config with the rendered template", func() (bool, error) {
		return jsonpathOf(ns, "configmap", "database-config", `{.data.database\.yaml}`) == want, nil
	})
	if got := jsonpathOf(ns, "configmap", "database-config", "{.data}"); strings.Count(got, `":"`) != 1 {
		t.Errorf("database-config holds more than the template's one key: %s", got)
	}
	for target, es := range map[string]string{"app-config": "application-config", "database-config": "templated-config"} {
		if _, err := kubectlErr("get", "secret", "-n", ns, target); err == nil {
			t.Errorf("a Secret %s was written beside the ConfigMap", target)
		}
		if reason, msg := readyReason(ns, "externalsecret", es); reason != "SecretSynced" {
			t.Errorf("ExternalSecret %s: Ready reason %q (%s), want SecretSynced", es, reason, msg)
		}
	}

	msg := waitReadyReason(t, 30*time.Second, ns, "externalsecret", "service-account-target", "TargetKindNotAllowed")
	if !strings.Contains(msg, "ServiceAccount") || !strings.Contains(msg, "allowed: ConfigMap") {
		t.Errorf("the refusal does not name the kind and the allowed ones: %q", msg)
	}
	if _, err := kubectlErr("get", "serviceaccount", "-n", ns, "made-by-a-template"); err == nil {
		t.Error("the ServiceAccount of a refused kind was created")
	}
}
