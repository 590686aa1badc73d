package chart

import (
	"context"
	"fmt"
	"testing"
	"time"

	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestHelmInstallGenericTargets installs the chart with generic targets on for ConfigMaps
// only and rollout off, so that the ConfigMap rules come from genericTargets.kinds alone, and
// runs the binary under that identity: an ExternalSecret writes a ConfigMap, an edit to it is
// repaired through the watch, a kind not listed is refused, and nothing is forbidden.
func TestHelmInstallGenericTargets(t *testing.T) {
	needControlPlane(t)
	ctx := context.Background()
	const ns, app = "ferry-generic", "generic-app"
	installCRDs(t)
	ensureNamespace(t, ns, nil)
	ensureNamespace(t, app, nil)
	values := valuesFile(t, `
webhook: {enabled: false}
crds: {install: false}
rollout: {enabled: false}
genericTargets:
  enabled: true
  kinds: [{group: "", kind: ConfigMap, resource: configmaps}]
`)
	installRelease(t, ns, "-f", values)
	logPath, saConfig := startReleaseFerry(t, ns, releaseObjects(t, ns))

	mustCreate(t, fakeStore(app, "store", "log-level", "debug"))
	target := func(name, apiVersion, kind string) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: app, Name: name}, Spec: esv1.ExternalSecretSpec{
			SecretStoreRef: esv1.SecretStoreRef{Name: "store"}, RefreshInterval: esv1.NewDuration(time.Hour),
			Target: esv1.ExternalSecretTarget{Manifest: &esv1.ManifestReference{APIVersion: apiVersion, Kind: kind}},
			Data:   []esv1.ExternalSecretData{{SecretKey: "level", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "log-level"}}},
		}}
	}
	mustCreate(t, target("settings", "v1", "ConfigMap"))
	waitConfigMap(t, app, "settings", "level", "debug")

	var cm corev1.ConfigMap
	if err := cp.client.Get(ctx, client.ObjectKey{Namespace: app, Name: "settings"}, &cm); err != nil {
		t.Fatal(err)
	}
	cm.Data["level"] = "edited"
	if err := cp.client.Update(ctx, &cm); err != nil {
		t.Fatal(err)
	}
	waitConfigMap(t, app, "settings", "level", "debug")

	mustCreate(t, target("account", "v1", "ServiceAccount"))
	testenv.Eventually(t, 30*time.Second, "ServiceAccount refused", func() (bool, error) {
		var es esv1.ExternalSecret
		if err := cp.client.Get(ctx, client.ObjectKey{Namespace: app, Name: "account"}, &es); err != nil {
			return false, err
		}
		for _, c := range es.Status.Conditions {
			if c.Type == esv1.ExternalSecretReady {
				return c.Reason == "TargetKindNotAllowed", fmt.Errorf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
			}
		}
		return false, nil
	})

	assertNoForbidden(t, logPath)
	assertDenied(t, saConfig, []authzv1.ResourceAttributes{
		{Verb: "create", Resource: "serviceaccounts", Namespace: app},
		{Verb: "patch", Group: "apps", Resource: "deployments", Namespace: app},
	})
}

func waitConfigMap(t *testing.T, namespace, name, key, want string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "ConfigMap "+name+" holds "+key, func() (bool, error) {
		var cm corev1.ConfigMap
		if err := cp.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &cm); err != nil {
			return false, err
		}
		return cm.Data[key] == want, fmt.Errorf("%s has %d bytes", key, len(cm.Data[key]))
	})
}
