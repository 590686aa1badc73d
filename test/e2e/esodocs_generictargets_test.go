package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/testenv"
)

// TestESODocsGenericTargets applies ESO's generic-target snippets (manifest-basic-configmap,
// manifest-templated-configmap, manifest-labeled-configmap, manifest-advanced-path) to Ferry
// started with ESO's --unsafe-allow-generic-targets and ConfigMaps and a custom kind as the
// kinds it may write: each ConfigMap holds what ESO's guide says (the remote values under
// their secretKeys; the rendered template; the template's labels and annotations), owned by
// its ExternalSecret and no Secret made instead; the custom resource holds the rendered YAML
// at its field paths; a ConfigMap edited by hand is restored; a ServiceAccount target is
// refused with the kind named and nothing created.
func TestESODocsGenericTargets(t *testing.T) {
	// The kind is served before Ferry starts, so that Ferry watches it (and deletes it after
	// Ferry stopped: nothing of it is left for Ferry to do).
	applyESODoc(t, "appconfig-crd.yaml", nil)
	kubectl(t, "wait", "--for=condition=Established", "--timeout=30s", "crd/appconfigs.config.example.com")
	startFerry(t, nil, "--unsafe-allow-generic-targets", "--generic-target-kinds=ConfigMap,config.example.com/AppConfig")
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

	t.Run("labels, annotations and a rendered key", func(t *testing.T) {
		want := "{\n  \"feature_flags\": {\n    \"new_ui\": true,\n    \"beta_api\": false\n  }\n}\n"
		testenv.Eventually(t, 30*time.Second, "ConfigMap labeled-configmap with the rendered config.json", func() (bool, error) {
			return jsonpathOf(ns, "configmap", "labeled-configmap", `{.data.config\.json}`) == want, nil
		})
		got := jsonpathOf(ns, "configmap", "labeled-configmap", "{.metadata.labels.app} {.metadata.labels.environment} {.metadata.annotations.description}")
		if got != "myapp production Managed by External Secrets Operator" {
			t.Errorf("labeled-configmap labels and annotation: %q", got)
		}
	})

	t.Run("custom resource at field paths", func(t *testing.T) {
		want := `{"database":{"credentials":{"password":"s3cr3t-for-configmap","username":"orders-app"},` +
			`"host":"postgres.internal.example","port":5432},"logging":{"format":"json","level":"info"}}`
		testenv.Eventually(t, 30*time.Second, "AppConfig app-settings with spec.database and spec.logging", func() (bool, error) {
			got := jsonpathOf(ns, "appconfig", "app-settings", "{.spec}")
			return sameJSON(got, want), fmt.Errorf("Ready: %s", jsonpathOf(ns, "externalsecret", "custom-resource-config", "{.status.conditions}"))
		})
	})

	t.Run("drift repaired", func(t *testing.T) {
		// ESO's guide: a managed ConfigMap edited by hand is restored at once (the
		// ExternalSecret refreshes hourly, so the watch does it, not a refresh).
		kubectl(t, "patch", "configmap", "-n", ns, "app-config", "--type=merge", "-p", `{"data":{"database-host":"edited","extra":"added"}}`)
		testenv.Eventually(t, 10*time.Second, "app-config restored", func() (bool, error) {
			got := jsonpathOf(ns, "configmap", "app-config", "{.data}")
			return jsonEqual(got, `{"database-host":"db.internal.example","api-endpoint":"https://api.internal.example/v2"}`), nil
		})
	})

	msg := waitReadyReason(t, 30*time.Second, ns, "externalsecret", "service-account-target", "TargetKindNotAllowed")
	if !strings.Contains(msg, "ServiceAccount") || !strings.Contains(msg, "allowed: ConfigMap, AppConfig.config.example.com") {
		t.Errorf("the refusal does not name the kind and the allowed ones: %q", msg)
	}
	if _, err := kubectlErr("get", "serviceaccount", "-n", ns, "made-by-a-template"); err == nil {
		t.Error("the ServiceAccount of a refused kind was created")
	}
}
