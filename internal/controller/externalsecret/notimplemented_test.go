package externalsecret_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// unimplementedStores are stores of three providers Ferry does not implement, as a user of
// External Secrets Operator writes them (fields from ESO's v2.9 schema).
var unimplementedStores = map[string]string{
	"senhasegura": `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: senhasegura}
spec:
  provider:
    senhasegura:
      url: https://senhasegura.example
      module: DSM
      ignoreSslCertificate: false
      auth:
        clientId: ferry-reader
        clientSecretSecretRef: {name: senhasegura-auth, key: client-secret}
`,
	"chef": `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: chef}
spec:
  provider:
    chef:
      username: ferry-reader
      serverUrl: https://chef.example/organizations/ops/
      auth:
        secretRef:
          privateKeySecretRef: {name: chef-user-key, key: user-private-key}
`,
	"passworddepot": `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: passworddepot}
spec:
  provider:
    passworddepot:
      host: passworddepot.example
      database: ops
      auth:
        secretRef:
          credentials: {name: passworddepot-credentials, key: credentials}
`,
}

// TestUnimplementedProvidersAreReportedAndKept: stores of three providers Ferry does not
// implement beside one it does. Each unimplemented store is admitted, reads back with every
// field as written, and says ProviderNotImplemented naming its provider; an ExternalSecret
// reading it says the same; the implemented store syncs.
func TestUnimplementedProvidersAreReportedAndKept(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	written := map[string]map[string]any{}
	for name, manifest := range unimplementedStores {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(manifest), &obj.Object); err != nil {
			t.Fatal(err)
		}
		obj.SetNamespace(ns)
		written[name] = obj.Object["spec"].(map[string]any)
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("creating the %s store: %v", name, err)
		}
	}
	fakeStore(t, ns, "ours", "k", apiKey)
	mine := externalSecret(ns, "mine", "ours", time.Hour)
	mine.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
	create(t, mine)
	blocked := externalSecret(ns, "blocked", "chef", time.Hour)
	blocked.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "DB_PASSWORD", "")}
	create(t, blocked)

	waitSecretData(t, ns, "mine", map[string]string{"k": apiKey})
	for name := range unimplementedStores {
		store := &esv1.SecretStore{}
		testenv.Eventually(t, 20*time.Second, name+" store reported", func() (bool, error) {
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, store); err != nil {
				return false, err
			}
			for _, c := range store.Status.Conditions {
				if c.Type == esv1.SecretStoreReady {
					return c.Reason == esv1.ReasonProviderNotImplemented && strings.Contains(c.Message, "spec.provider."+name),
						fmt.Errorf("%s: %s", c.Reason, c.Message)
				}
			}
			return false, nil
		})
		readBack := &unstructured.Unstructured{}
		readBack.SetGroupVersionKind(esv1.GroupVersion.WithKind(esv1.SecretStoreKind))
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, readBack); err != nil {
			t.Fatal(err)
		}
		if missing := lost(written[name], readBack.Object["spec"].(map[string]any), "spec"); len(missing) > 0 {
			t.Errorf("%s store lost fields: %v", name, missing)
		}
	}
	msg := waitReady(t, blocked, corev1.ConditionFalse, esv1.ReasonProviderNotImplemented)
	if !strings.Contains(msg, "chef") {
		t.Errorf("ExternalSecret message %q does not name the provider", msg)
	}
}

// lost lists the paths of want that got does not hold with the same value; fields got has
// in addition (schema defaults) are fine.
func lost(want, got map[string]any, path string) []string {
	var out []string
	for k, w := range want {
		g, ok := got[k]
		wm, wIsMap := w.(map[string]any)
		gm, gIsMap := g.(map[string]any)
		switch {
		case !ok:
			out = append(out, path+"."+k)
		case wIsMap && gIsMap:
			out = append(out, lost(wm, gm, path+"."+k)...)
		case !reflect.DeepEqual(normalize(w), normalize(g)):
			out = append(out, fmt.Sprintf("%s.%s: wrote %v, read %v", path, k, w, g))
		}
	}
	return out
}

// normalize makes YAML and JSON numbers comparable.
func normalize(v any) any {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case map[string]any:
		out := map[string]any{}
		for k, e := range n {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}
