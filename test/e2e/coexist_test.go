package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/ferryhq/ferry/internal/testenv"
)

// coexistNamespace holds both controllers' objects of the co-existence test.
const coexistNamespace = "coexist"

// esoObjects are objects of controller class "eso" (External Secrets Operator's, next to
// Ferry): stores of a provider Ferry implements and of one it does not, ExternalSecrets on
// each (one written in v1alpha1, converted by Ferry's webhook), and a PushSecret whose
// deletionPolicy would make Ferry add a finalizer were it Ferry's. batch makes names unique.
func esoObjects(batch string, oldShape bool) (manifest string, refs []string) {
	manifest = fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata: {name: eso-source-%[1]s, namespace: %[2]s}
stringData: {token: t0ken}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: eso-fake-%[1]s, namespace: %[2]s}
spec:
  controller: eso
  provider:
    fake: {data: [{key: k, value: v}]}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: eso-doppler-%[1]s, namespace: %[2]s}
spec:
  controller: eso
  provider:
    doppler: {auth: {secretRef: {dopplerToken: {name: doppler, key: token}}}}
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: coexist-eso-%[1]s}
spec:
  controller: eso
  provider:
    fake: {data: [{key: k, value: v}]}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: eso-es-%[1]s, namespace: %[2]s}
spec:
  refreshInterval: 1m
  secretStoreRef: {name: eso-fake-%[1]s}
  data: [{secretKey: k, remoteRef: {key: k}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: eso-es-cluster-%[1]s, namespace: %[2]s}
spec:
  secretStoreRef: {name: coexist-eso-%[1]s, kind: ClusterSecretStore}
  data: [{secretKey: k, remoteRef: {key: k}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: eso-es-doppler-%[1]s, namespace: %[2]s}
spec:
  secretStoreRef: {name: eso-doppler-%[1]s}
  data: [{secretKey: k, remoteRef: {key: k}}]
---
apiVersion: external-secrets.io/v1alpha1
kind: PushSecret
metadata: {name: eso-push-%[1]s, namespace: %[2]s}
spec:
  deletionPolicy: Delete
  secretStoreRefs: [{name: eso-fake-%[1]s}]
  selector: {secret: {name: eso-source-%[1]s}}
  data: [{match: {secretKey: token, remoteRef: {remoteKey: pushed}}}]
`, batch, coexistNamespace)
	refs = []string{"secret/eso-source-" + batch, "secretstore/eso-fake-" + batch, "secretstore/eso-doppler-" + batch,
		"clustersecretstore/coexist-eso-" + batch, "externalsecret/eso-es-" + batch, "externalsecret/eso-es-cluster-" + batch,
		"externalsecret/eso-es-doppler-" + batch, "pushsecret/eso-push-" + batch}
	if oldShape {
		manifest += fmt.Sprintf(`---
apiVersion: external-secrets.io/v1alpha1
kind: ExternalSecret
metadata: {name: eso-es-old-%[1]s, namespace: %[2]s}
spec:
  secretStoreRef: {name: eso-fake-%[1]s, kind: SecretStore}
  target: {name: eso-es-old-%[1]s}
  data: [{secretKey: k, remoteRef: {key: k}}]
`, batch, coexistNamespace)
		refs = append(refs, "externalsecret/eso-es-old-"+batch)
	}
	return manifest, refs
}

// ferryObjects are Ferry's own (the default class): a store, an ExternalSecret and a
// PushSecret with deletionPolicy Delete, so Ferry gives them status, a Secret and a finalizer.
func ferryObjects(batch string) string {
	return fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata: {name: ferry-source-%[1]s, namespace: %[2]s}
stringData: {token: t0ken}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: ferry-fake-%[1]s, namespace: %[2]s}
spec:
  provider:
    fake: {data: [{key: k, value: v-%[1]s}]}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ferry-es-%[1]s, namespace: %[2]s}
spec:
  secretStoreRef: {name: ferry-fake-%[1]s}
  data: [{secretKey: k, remoteRef: {key: k}}]
---
apiVersion: external-secrets.io/v1alpha1
kind: PushSecret
metadata: {name: ferry-push-%[1]s, namespace: %[2]s}
spec:
  deletionPolicy: Delete
  secretStoreRefs: [{name: ferry-fake-%[1]s}]
  selector: {secret: {name: ferry-source-%[1]s}}
  data: [{match: {secretKey: token, remoteRef: {remoteKey: pushed}}}]
`, batch, coexistNamespace)
}

// TestCoexistenceWithAnotherClass runs Ferry (default class, owning the CRDs' conversion and
// the validating webhook) next to objects of class "eso", some there before it starts and
// some created while it runs. Ferry syncs its own objects, created after them, and leaves
// every object of the other class byte for byte as it was: same resourceVersion, no status,
// no finalizer, no Secret, no event.
func TestCoexistenceWithAnotherClass(t *testing.T) {
	restoreWebhookState(t)
	ensureNamespace(t, coexistNamespace)
	before, refs := esoObjects("before", false)
	apply(t, before) // Ferry meets these in its first list...

	port := freePort(t)
	startFerry(t, nil, webhookArgs(port)...)
	waitWebhook(t, port)
	during, more := esoObjects("during", true)
	apply(t, during) // ...and these as watch events, through its webhooks.
	refs = append(refs, more...)
	snapshot := map[string]string{}
	for _, ref := range refs {
		snapshot[ref] = getJSON(t, ref)
	}

	// Ferry's own, created after the other class's: it must sync them (two rounds, so the
	// window spans every event and requeue that followed the other class's objects).
	for _, batch := range []string{"one", "two"} {
		apply(t, ferryObjects(batch))
		waitReady(t, "secretstore/ferry-fake-"+batch)
		waitReady(t, "externalsecret/ferry-es-"+batch)
		waitReady(t, "pushsecret/ferry-push-"+batch)
		if got := kubectl(t, "get", "secret", "-n", coexistNamespace, "ferry-es-"+batch, "-o", "jsonpath={.data.k}"); got != b64("v-"+batch) {
			t.Errorf("Secret ferry-es-%s data k = %q, want %q", batch, got, b64("v-"+batch))
		}
		if got := kubectl(t, "get", "pushsecret", "-n", coexistNamespace, "ferry-push-"+batch, "-o", "jsonpath={.metadata.finalizers}"); got == "" {
			t.Errorf("Ferry's PushSecret with deletionPolicy Delete has no finalizer: the finalizer check below could not fail")
		}
	}

	for _, ref := range refs {
		assertUntouched(t, ref, snapshot[ref])
	}
	for _, ref := range refs {
		kind, name, _ := strings.Cut(ref, "/")
		if kind != "externalsecret" {
			continue
		}
		if out, err := kubectlErr("get", "secret", "-n", coexistNamespace, name, "-o", "name"); err == nil {
			t.Errorf("Ferry wrote Secret %s for %s, an ExternalSecret of class eso", strings.TrimSpace(out), ref)
		}
	}
	assertNoEvents(t, refs)

	// The real binary's preflight agrees: everything here is served or handed off (exit 0).
	preflight := exec.Command(ferryBin, "preflight", "--kubeconfig", kubeconfig, "-n", coexistNamespace)
	out, err := preflight.CombinedOutput()
	if err != nil {
		t.Errorf("ferry preflight -n %s: %v, want exit 0\n%s", coexistNamespace, err, out)
	}
	for _, want := range []string{"ExternalSecret coexist eso-es-doppler-before hands off", "ExternalSecret coexist ferry-es-one serves"} {
		if !strings.Contains(strings.Join(strings.Fields(string(out)), " "), want) {
			t.Errorf("ferry preflight output lacks %q:\n%s", want, out)
		}
	}
}

// getJSON returns an object as the API server has it.
func getJSON(t *testing.T, ref string) string {
	t.Helper()
	return kubectl(t, "get", ref, "-n", coexistNamespace, "-o", "json")
}

// assertUntouched checks that an object is byte for byte what it was, and carries nothing a
// controller would have added.
func assertUntouched(t *testing.T, ref, was string) {
	t.Helper()
	now := getJSON(t, ref)
	var obj struct {
		Metadata struct {
			ResourceVersion string   `json:"resourceVersion"`
			Finalizers      []string `json:"finalizers"`
		} `json:"metadata"`
		Status map[string]any `json:"status"`
	}
	if err := json.Unmarshal([]byte(now), &obj); err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	if now != was {
		t.Errorf("%s changed while Ferry ran:\nbefore: %s\nafter:  %s", ref, was, now)
	}
	if len(obj.Metadata.Finalizers) > 0 {
		t.Errorf("%s has finalizers %v", ref, obj.Metadata.Finalizers)
	}
	if written := controllerStatus(obj.Status); len(written) > 0 {
		t.Errorf("%s has a status: %v", ref, written)
	}
}

// controllerStatus keeps the status fields that hold a value. An object converted from
// v1alpha1 carries empty ones (binding without a name, a null refreshTime): they are the
// conversion's zero values, not something a controller wrote.
func controllerStatus(status map[string]any) map[string]any {
	written := map[string]any{}
	for field, value := range status {
		switch v := value.(type) {
		case nil:
		case string:
			if v != "" {
				written[field] = v
			}
		case map[string]any:
			if inner := controllerStatus(v); len(inner) > 0 {
				written[field] = inner
			}
		default:
			written[field] = v
		}
	}
	return written
}

// assertNoEvents checks that no event, in any namespace, is about an object of the list.
func assertNoEvents(t *testing.T, refs []string) {
	t.Helper()
	names := map[string]bool{}
	for _, ref := range refs {
		_, name, _ := strings.Cut(ref, "/")
		names[name] = true
	}
	var events corev1.EventList
	if err := cp.Client.List(context.Background(), &events); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, ev := range events.Items {
		if strings.HasPrefix(ev.InvolvedObject.Name, "ferry-") {
			seen++
		}
		if names[ev.InvolvedObject.Name] {
			t.Errorf("event about %s %s: %s %s", ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Reason, ev.Message)
		}
	}
	if seen == 0 {
		t.Error("no event about Ferry's own objects either: the event check could not fail")
	}
}

// waitReady waits until an object in the co-existence namespace is Ready=True.
func waitReady(t *testing.T, ref string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, ref+" Ready", func() (bool, error) {
		out, err := kubectlErr("get", ref, "-n", coexistNamespace, "-o",
			`jsonpath={.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].message}`)
		status, message, _ := strings.Cut(out, "|")
		return err == nil && status == "True", fmt.Errorf("Ready=%q %q (%w)", status, message, err)
	})
}

// restoreWebhookState puts the CRDs' conversion back as it was and removes Ferry's
// ValidatingWebhookConfiguration once the test's Ferry has stopped, so that later tests do
// not meet webhooks that no longer answer. Call it before startFerry: cleanups run last first.
func restoreWebhookState(t *testing.T) {
	t.Helper()
	saved := map[string]string{}
	for _, crd := range []string{"externalsecrets.external-secrets.io", "secretstores.external-secrets.io", "clustersecretstores.external-secrets.io"} {
		saved[crd] = kubectl(t, "get", "crd", crd, "-o", "jsonpath={.spec.conversion}")
	}
	_, hadConfig := kubectlErr("get", "validatingwebhookconfiguration", "ferry-validating-webhook")
	t.Cleanup(func() {
		for crd, conversion := range saved {
			patch := fmt.Sprintf(`[{"op":"replace","path":"/spec/conversion","value":%s}]`, conversion)
			if _, err := kubectlErr("patch", "crd", crd, "--type", "json", "-p", patch); err != nil {
				t.Errorf("restoring the conversion of %s: %v", crd, err)
			}
		}
		if hadConfig != nil {
			if _, err := kubectlErr("delete", "validatingwebhookconfiguration", "ferry-validating-webhook"); err != nil {
				t.Errorf("removing the ValidatingWebhookConfiguration: %v", err)
			}
		}
	})
}
