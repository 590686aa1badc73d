package preflight_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/builtin"
	"github.com/ferryhq/ferry/internal/preflight"
)

// config is what cmd/ferry serves, built the way the operator builds it.
func config(class string) preflight.Config {
	providers, generators := builtin.Registries(nil)
	return preflight.Config{ControllerClass: class, Providers: providers, GeneratorKinds: generators.Kinds()}
}

// TestJudgeManifests reads a folder of mixed manifests — served, another class's,
// unimplemented providers and features — and checks the verdict and its reason per object.
func TestJudgeManifests(t *testing.T) {
	inv, err := preflight.ReadPath("testdata/mixed")
	if err != nil {
		t.Fatal(err)
	}
	results := preflight.Judge(inv, config(""))

	tests := []struct {
		kind, namespace, name string
		verdict               preflight.Verdict
		// reason is a part of one of the reasons; for Serves, of one of the notes ("" for none).
		reason string
		// differences must all be among the object's.
		differences []string
	}{
		{"SecretStore", "app", "aws", preflight.Serves, "", []string{"store-reasons"}},
		{"SecretStore", "app", "fake-old", preflight.Serves, "", nil},
		{"SecretStore", "app", "eso-store", preflight.HandsOff, `spec.controller is "eso"`, nil},
		{"SecretStore", "app", "chef", preflight.CannotYet, "provider chef is not implemented", nil},
		{"ClusterSecretStore", "", "acm", preflight.Serves, "", nil},
		{"ClusterSecretStore", "", "intranet", preflight.Serves, "", []string{"webhook-ntlm"}},
		{"ClusterSecretStore", "", "vault-gcp", preflight.CannotYet, "spec.provider.vault.auth.gcp: the GCP auth method is not supported by Ferry yet", nil},
		{"SecretStore", "app", "conjur-ro", preflight.Serves, "", nil},
		{"SecretStore", "app", "bitwarden", preflight.Serves, "", nil},
		{"SecretStore", "app", "pulumi", preflight.Serves, "", nil},
		{"SecretStore", "app", "openbao", preflight.Serves, "", nil},
		{"SecretStore", "app", "ibm", preflight.Serves, "", nil},
		{"SecretStore", "app", "akeyless", preflight.Serves, "", nil},
		{"SecretStore", "app", "secretserver", preflight.Serves, "", nil},
		{"SecretStore", "app", "oracle", preflight.Serves, "", nil},
		{"SecretStore", "app", "onboardbase", preflight.Serves, "", nil},
		{"SecretStore", "app", "yandexlockbox", preflight.Serves, "", nil},
		{"SecretStore", "app", "yandexcertificatemanager", preflight.Serves, "", nil},
		{"SecretStore", "app", "passbolt", preflight.Serves, "", nil},
		{"SecretStore", "app", "keepersecurity", preflight.Serves, "", nil},
		{"ExternalSecret", "app", "db", preflight.Serves, "", []string{"refresh-time", "refresh-grid", "ready-reasons", "data-hash", "shared-reads", "durations", "metrics"}},
		{"ExternalSecret", "app", "legacy", preflight.Serves, "", []string{"merge-keys"}},
		{"ExternalSecret", "app", "eso-owned", preflight.HandsOff, `SecretStore eso-store, whose spec.controller is "eso"`, nil},
		{"ExternalSecret", "app", "on-chef", preflight.CannotYet, "reads SecretStore chef: provider chef is not implemented", nil},
		{"ExternalSecret", "app", "manifest-target", preflight.Serves, "--unsafe-allow-generic-targets", nil},
		{"ExternalSecret", "app", "windows", preflight.Serves, "", []string{"sync-windows"}},
		{"ExternalSecret", "app", "gen-beyondtrust", preflight.Serves, "", nil},
		{"ExternalSecret", "app", "gen-password", preflight.Serves, "", []string{"templates"}},
		{"ExternalSecret", "app", "missing-store", preflight.Serves, "reads SecretStore nowhere, which is not among the manifests read", nil},
		{"PushSecret", "app", "push-ok", preflight.Serves, "", []string{"ready-reasons"}},
		{"PushSecret", "app", "push-data-to", preflight.Serves, "", []string{"ready-reasons"}},
		{"PushSecret", "app", "push-generator", preflight.Serves, "", []string{"ready-reasons"}},
		{"PushSecret", "app", "push-eso", preflight.HandsOff, `SecretStore eso-store, whose spec.controller is "eso"`, nil},
		{"PushSecret", "app", "push-read-only", preflight.CannotYet, "spec.secretStoreRefs[0] names SecretStore conjur-ro: Ferry's conjur provider reads only", nil},
		{"PushSecret", "app", "push-by-label", preflight.Serves, "also names stores of another controller class", nil},
		{"Password", "app", "pw", preflight.Serves, "", nil},
		{"CloudsmithAccessToken", "app", "cs", preflight.Serves, "", nil},
		{"ClusterGenerator", "", "quay", preflight.Serves, "", []string{"generator-class"}},
		{"ClusterGenerator", "", "beyondtrust", preflight.Serves, "", nil},
		{"ClusterPushSecret", "", "everywhere", preflight.Serves, "", nil},
		{"ClusterPushSecret", "", "to-vault-gcp", preflight.CannotYet, "spec.pushSecretSpec.secretStoreRefs[0] names ClusterSecretStore vault-gcp: spec.provider.vault.auth.gcp", nil},
		{"ClusterExternalSecret", "", "shared", preflight.CannotYet, "its ExternalSecrets read ClusterSecretStore vault-gcp: spec.provider.vault.auth.gcp", []string{"ces-every-class", "durations"}},
		{"ExternalSecret", "app", "from-backup", preflight.Serves, "", nil},
	}
	if len(results) != len(tests) {
		for _, r := range results {
			t.Logf("%s %s/%s: %s", r.Kind, r.Namespace, r.Name, r.Verdict)
		}
		t.Fatalf("%d results, want one per object of the group (%d): ConfigMaps and GeneratorState are skipped", len(results), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.name, func(t *testing.T) {
			r := find(t, results, tt.kind, tt.namespace, tt.name)
			if r.Verdict != tt.verdict {
				t.Fatalf("verdict %q, want %q (reasons %q, notes %q)", r.Verdict, tt.verdict, r.Reasons, r.Notes)
			}
			texts := r.Reasons
			if tt.verdict == preflight.Serves {
				texts = r.Notes
				if tt.reason == "" && len(r.Notes) > 0 {
					t.Errorf("notes %q, want none", r.Notes)
				}
			}
			if tt.reason != "" && !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, tt.reason) }) {
				t.Errorf("reasons/notes %q, want one containing %q", texts, tt.reason)
			}
			for _, d := range tt.differences {
				if !slices.Contains(r.Differences, d) {
					t.Errorf("differences %q, want %q among them", r.Differences, d)
				}
			}
			if slices.Contains(r.Differences, "webhook-ntlm") && tt.name != "intranet" {
				t.Errorf("differences %q: webhook-ntlm concerns only webhook stores with auth.ntlm", r.Differences)
			}
			if r.Verdict == preflight.HandsOff && len(r.Differences) > 0 {
				t.Errorf("a handed-off object lists differences %q: Ferry does nothing to it", r.Differences)
			}
		})
	}
}

// TestJudgeOtherClass: a Ferry of class "eso" serves the objects of that class and hands off
// the default class's, including ExternalSecrets that name no store.
func TestJudgeOtherClass(t *testing.T) {
	inv, err := preflight.ReadPath("testdata/mixed")
	if err != nil {
		t.Fatal(err)
	}
	results := preflight.Judge(inv, config("eso"))
	for _, tt := range []struct {
		kind, name string
		verdict    preflight.Verdict
	}{
		{"SecretStore", "eso-store", preflight.Serves},
		{"ExternalSecret", "eso-owned", preflight.Serves},
		{"PushSecret", "push-eso", preflight.Serves},
		{"SecretStore", "aws", preflight.HandsOff},
		{"ExternalSecret", "db", preflight.HandsOff},
		{"ExternalSecret", "gen-password", preflight.HandsOff},
		{"PushSecret", "push-by-label", preflight.Serves},
	} {
		if r := find(t, results, tt.kind, "app", tt.name); r.Verdict != tt.verdict {
			t.Errorf("%s %s: verdict %q, want %q (%q)", tt.kind, tt.name, r.Verdict, tt.verdict, r.Reasons)
		}
	}
}

// TestJudgeSources: every result says which file and document it came from.
func TestJudgeSources(t *testing.T) {
	inv, err := preflight.ReadPath("testdata/mixed")
	if err != nil {
		t.Fatal(err)
	}
	results := preflight.Judge(inv, config(""))
	for _, tt := range []struct{ kind, name, source string }{
		{"SecretStore", "chef", "testdata/mixed/stores.yaml:4"},
		{"ExternalSecret", "from-backup", "testdata/mixed/nested/backup.yaml:1[0]"},
	} {
		ns := "app"
		if r := find(t, results, tt.kind, ns, tt.name); r.Source != tt.source {
			t.Errorf("%s %s: source %q, want %q", tt.kind, tt.name, r.Source, tt.source)
		}
	}
}

func find(t *testing.T, results []preflight.Result, kind, namespace, name string) preflight.Result {
	t.Helper()
	for _, r := range results {
		if r.Kind == kind && r.Namespace == namespace && r.Name == name {
			return r
		}
	}
	t.Fatalf("no result for %s %s/%s", kind, namespace, name)
	return preflight.Result{}
}
