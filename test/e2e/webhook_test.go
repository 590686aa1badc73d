package e2e

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/testenv"
)

// waitWebhook waits until Ferry serves its webhooks and has injected them into the CRDs
// and the ValidatingWebhookConfiguration.
func waitWebhook(t *testing.T, port string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, "webhook injected and serving", func() (bool, error) {
		url, err := kubectlErr("get", "crd", "externalsecrets.external-secrets.io",
			"-o", "jsonpath={.spec.conversion.webhook.clientConfig.url}")
		if err != nil || !strings.Contains(url, ":"+port+"/") {
			return false, err
		}
		if _, err := kubectlErr("get", "validatingwebhookconfiguration", "ferry-validating-webhook"); err != nil {
			return false, err
		}
		// A v1alpha1 list goes through the conversion webhook.
		_, err = kubectlErr("get", "externalsecrets.v1alpha1.external-secrets.io", "-A")
		return err == nil, err
	})
}

// TestInvalidManifestsAreRefused applies manifests that can never work and checks that the
// API server refuses each with a message that names the field.
func TestInvalidManifestsAreRefused(t *testing.T) {
	port := freePort(t)
	startFerryWithWebhooks(t, nil, port)
	waitWebhook(t, port)
	ensureNamespace(t, "invalid")

	tests := []struct {
		name, manifest, want string
	}{
		{"two providers", `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: two, namespace: invalid}
spec:
  provider:
    fake: {data: []}
    aws: {service: SecretsManager, region: eu-west-1}`, "spec.provider: Too many: 2"},
		{"aws without region in v1alpha1", `
apiVersion: external-secrets.io/v1alpha1
kind: SecretStore
metadata: {name: noregion, namespace: invalid}
spec:
  provider:
    aws: {service: SecretsManager, region: ""}`, "region"},
		{"nothing to sync", `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: empty, namespace: invalid}
spec:
  secretStoreRef: {name: s}`, "set spec.data or spec.dataFrom"},
		{"delete without owner", `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: delmerge, namespace: invalid}
spec:
  secretStoreRef: {name: s}
  target: {creationPolicy: Merge, deletionPolicy: Delete}
  data: [{secretKey: a, remoteRef: {key: a}}]`, "spec.target.deletionPolicy: Delete needs creationPolicy Owner"},
		{"merge with none", `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: mergenone, namespace: invalid}
spec:
  secretStoreRef: {name: s}
  target: {creationPolicy: None, deletionPolicy: Merge}
  data: [{secretKey: a, remoteRef: {key: a}}]`, "Merge cannot be used with creationPolicy None"},
		{"duplicate keys", `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: dup, namespace: invalid}
spec:
  secretStoreRef: {name: s}
  data: [{secretKey: a, remoteRef: {key: a}}, {secretKey: a, remoteRef: {key: b}}]`, `spec.data[1].secretKey: "a" is also written by spec.data[0]`},
		{"extract and find together", `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: both, namespace: invalid}
spec:
  secretStoreRef: {name: s}
  dataFrom: [{extract: {key: a}, find: {path: b}}]`, "spec.dataFrom[0]: set exactly one of extract, find"},
		{"bad duration", `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: baddur, namespace: invalid}
spec:
  secretStoreRef: {name: s}
  refreshInterval: forever
  data: [{secretKey: a, remoteRef: {key: a}}]`, "refreshInterval"},
		{"bad namespace regexp on a ClusterSecretStore", `
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: {name: badns}
spec:
  conditions: [{namespaceRegexes: ["(x"]}]
  provider:
    fake: {data: []}`, "spec.conditions[0].namespaceRegexes[0]: invalid regular expression"},
	}
	// What External Secrets Operator's webhook admits though no sync can get past it (a
	// template that does not parse, a regexp that does not compile, a Secret type the API
	// server owns; any PushSecret or ClusterPushSecret, which ESO serves without a
	// validating webhook), Ferry admits too: kept as written, and named in a warning.
	warned := []struct {
		name, kind, manifest, want string
	}{
		{"service account token type", "externalsecret/satype", `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: satype, namespace: invalid}
spec:
  secretStoreRef: {name: s}
  target: {template: {type: kubernetes.io/service-account-token}}
  data: [{secretKey: a, remoteRef: {key: a}}]`, "Warning: spec.target.template.type: kubernetes.io/service-account-token"},
		{"bootstrap token type", "externalsecret/bttype", `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: bttype, namespace: invalid}
spec:
  secretStoreRef: {name: s}
  target: {template: {type: bootstrap.kubernetes.io/token}}
  data: [{secretKey: a, remoteRef: {key: a}}]`, "Warning: spec.target.template.type: bootstrap.kubernetes.io/token"},
		{"bad regexp", "externalsecret/badre", `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: badre, namespace: invalid}
spec:
  secretStoreRef: {name: s}
  dataFrom: [{find: {name: {regexp: "([a-z"}}}]`, "Warning: spec.dataFrom[0].find.name.regexp: invalid regular expression"},
		{"template with an unknown function", "externalsecret/badtpl", `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: badtpl, namespace: invalid}
spec:
  secretStoreRef: {name: s}
  target:
    template:
      data:
        config: "host={{ .host | nosuchfunc }}"
  data: [{secretKey: host, remoteRef: {key: a}}]`, "Warning: spec.target.template.data[config]"},
		{"PushSecret with a bad regexp", "pushsecret/badre", `
apiVersion: external-secrets.io/v1alpha1
kind: PushSecret
metadata: {name: badre, namespace: invalid}
spec:
  secretStoreRefs: [{name: nowhere}]
  selector: {secret: {name: src}}
  dataTo: [{storeRef: {name: nowhere}, match: {regexp: "(db"}}]`, "Warning: spec.dataTo[0].match.regexp: invalid regular expression"},
		{"ClusterPushSecret with a bad source selector", "clusterpushsecret/badsource", `
apiVersion: external-secrets.io/v1alpha1
kind: ClusterPushSecret
metadata: {name: badsource}
spec:
  namespaceSelectors: [{matchLabels: {team: none}}]
  pushSecretSpec:
    secretStoreRefs: [{name: nowhere}]
    selector: {secret: {selector: {matchExpressions: [{key: tier, operator: Bogus}]}}}`,
			`Warning: spec.pushSecretSpec.selector.secret.selector: "Bogus" is not a valid label selector operator`},
	}
	for _, tt := range warned {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(kubectlBin, "--kubeconfig", kubeconfig, "apply", "-f", "-")
			cmd.Stdin = strings.NewReader(tt.manifest)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("the API server refused it: %v: %s", err, stderr.String())
			}
			t.Cleanup(func() { _, _ = kubectlErr("delete", tt.kind, "-n", "invalid", "--ignore-not-found") })
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("apply printed %q, want the warning %q", stderr.String(), tt.want)
			}
		})
	}

	// A zero value written at v1beta1 survives the conversion to the v1 storage version and
	// back (webhook.KeepExplicitZeros): the object reads back as written.
	t.Run("explicit false kept through conversion", func(t *testing.T) {
		for resource, got := range readBackAtV1beta1AndV1(t, "keepfalse", `
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: keepfalse, namespace: invalid}
spec:
  secretStoreRef: {name: nowhere}
  target: {name: keepfalse, immutable: false}
  data: [{secretKey: k, remoteRef: {key: r}}]`, "{.spec.target.immutable}") {
			if strings.TrimSpace(got) != "false" {
				t.Errorf("%s: spec.target.immutable reads back %q, want false as written", resource, got)
			}
		}
	})

	// An ExternalSecret written at v1beta1 without secretStoreRef (its data all from a
	// generator) reads back at v1beta1 without one: the typed conversion from the v1 storage
	// version writes `secretStoreRef: {}`, which webhook.KeepExplicitZeros takes out again.
	t.Run("no empty secretStoreRef added by conversion", func(t *testing.T) {
		for resource, got := range readBackAtV1beta1AndV1(t, "nostore", `
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: nostore, namespace: invalid}
spec:
  target: {name: nostore}
  dataFrom:
  - sourceRef:
      generatorRef: {apiVersion: generators.external-secrets.io/v1alpha1, kind: Password, name: pw}`, "{.spec}") {
			if strings.Contains(got, "secretStoreRef") {
				t.Errorf("%s: spec reads back %s, want it without the secretStoreRef that was not written", resource, got)
			}
		}
	})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := kubectlApplyStdin(tt.manifest)
			if err == nil {
				t.Fatalf("the API server accepted it: %s", out)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("refusal does not say %q:\n%v", tt.want, err)
			}
		})
	}
}

// readBackAtV1beta1AndV1 applies manifest, an ExternalSecret called name in the namespace
// "invalid", deletes it when the test ends, and returns what jsonpath reads of it at
// v1beta1 and at v1, by resource.
func readBackAtV1beta1AndV1(t *testing.T, name, manifest, jsonpath string) map[string]string {
	t.Helper()
	if out, err := kubectlApplyStdin(manifest); err != nil {
		t.Fatalf("apply: %v %s", err, out)
	}
	t.Cleanup(func() {
		_, _ = kubectlErr("delete", "externalsecret", name, "-n", "invalid", "--ignore-not-found")
	})
	read := map[string]string{}
	for _, resource := range []string{"externalsecrets.v1beta1.external-secrets.io", "externalsecrets.v1.external-secrets.io"} {
		got, err := kubectlErr("get", resource, name, "-n", "invalid", "-o", "jsonpath="+jsonpath)
		if err != nil {
			t.Fatalf("%s: reading it back: %v", resource, err)
		}
		read[resource] = got
	}
	return read
}
