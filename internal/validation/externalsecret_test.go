package validation

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// validES is an ExternalSecret every rule accepts; each case breaks one rule.
func validES() *esv1.ExternalSecret {
	return &esv1.ExternalSecret{Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "s"},
		Data:           []esv1.ExternalSecretData{{SecretKey: "a", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "a"}}},
	}}
}

// TestExternalSecretRules: every rule of ExternalSecret, each with the message a user sees
// (in the webhook's refusal and in the InvalidSpec condition).
func TestExternalSecretRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(es *esv1.ExternalSecret)
		want   string
	}{
		{"nothing to sync", func(es *esv1.ExternalSecret) { es.Spec.Data = nil },
			"spec: set spec.data or spec.dataFrom (or a template with data): there is nothing to sync"},
		{"delete with merge", func(es *esv1.ExternalSecret) {
			es.Spec.Target.CreationPolicy, es.Spec.Target.DeletionPolicy = esv1.CreatePolicyMerge, esv1.DeletionPolicyDelete
		}, "spec.target.deletionPolicy: Delete needs creationPolicy Owner or Orphan, not Merge: Ferry deletes only Secrets it created"},
		{"merge with none", func(es *esv1.ExternalSecret) {
			es.Spec.Target.CreationPolicy, es.Spec.Target.DeletionPolicy = esv1.CreatePolicyNone, esv1.DeletionPolicyMerge
		}, "spec.target.deletionPolicy: Merge cannot be used with creationPolicy None: no Secret is written to merge into"},
		{"template data", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{Data: map[string]string{"cfg": "{{ .a | nosuch }}"}}
		}, `spec.target.template.data[cfg]: template: cfg:1: function "nosuch" not defined`},
		{"templateFrom literal", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{TemplateFrom: []esv1.TemplateFrom{{Literal: ptr("{{ .a ")}}}
		}, "spec.target.template.templateFrom[0].literal: template: literal:1: unclosed action"},
		{"templateFrom two sources", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{TemplateFrom: []esv1.TemplateFrom{{
				Literal: ptr("x"), ConfigMap: &esv1.TemplateRef{Name: "c"}}}}
		}, "spec.target.template.templateFrom[0]: set exactly one of configMap, secret or literal (found 2)"},
		{"templateFrom no source", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{TemplateFrom: []esv1.TemplateFrom{{}}}
		}, "spec.target.template.templateFrom[0]: set exactly one of configMap, secret or literal (found 0)"},
		{"template labels", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{Metadata: esv1.ExternalSecretTemplateMetadata{
				Labels: map[string]string{"team": "{{ env \"X\" }}"}}}
		}, `spec.target.template.metadata.labels[team]: template: team:1: function "env" not defined`},
		{"template annotations", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{Metadata: esv1.ExternalSecretTemplateMetadata{
				Annotations: map[string]string{"note": "{{ end }}"}}}
		}, "spec.target.template.metadata.annotations[note]: template: note:1: unexpected {{end}}"},
		{"service account token type", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{Type: corev1.SecretTypeServiceAccountToken}
		}, "spec.target.template.type: kubernetes.io/service-account-token Secrets cannot be managed by Ferry: the API server or cluster bootstrap owns them"},
		{"bootstrap token type", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{Type: corev1.SecretTypeBootstrapToken}
		}, "spec.target.template.type: bootstrap.kubernetes.io/token Secrets cannot be managed by Ferry"},
		{"refreshInterval not a duration", func(es *esv1.ExternalSecret) {
			es.Spec.RefreshInterval = &esv1.Duration{Text: "forever"}
		}, `spec.refreshInterval: "forever" is not a duration: use a Go duration such as 1h or 30m, or 0 to sync once`},
		{"refreshInterval negative", func(es *esv1.ExternalSecret) {
			es.Spec.RefreshInterval = esv1.NewDuration(-time.Minute)
		}, "spec.refreshInterval: must not be negative, got -1m0s"},
		{"duplicate secretKey", func(es *esv1.ExternalSecret) {
			es.Spec.Data = append(es.Spec.Data, esv1.ExternalSecretData{SecretKey: "a", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "b"}})
		}, `spec.data[1].secretKey: "a" is also written by spec.data[0]: each key may be written once`},
		{"data without remote key", func(es *esv1.ExternalSecret) { es.Spec.Data[0].RemoteRef.Key = "" },
			"spec.data[0].remoteRef.key: required"},
		{"dataFrom with two sources", func(es *esv1.ExternalSecret) {
			es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "a"},
				Find: &esv1.ExternalSecretFind{Path: ptr("p")}}}
		}, "spec.dataFrom[0]: set exactly one of extract, find or sourceRef.generatorRef (found 2)"},
		{"dataFrom empty", func(es *esv1.ExternalSecret) {
			es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{}}
		}, "spec.dataFrom[0]: set exactly one of extract, find or sourceRef.generatorRef (found 0)"},
		{"extract without key", func(es *esv1.ExternalSecret) {
			es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{}}}
		}, "spec.dataFrom[0].extract.key: required"},
		{"find with a bad regexp", func(es *esv1.ExternalSecret) {
			es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Find: &esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "([a-z"}}}}
		}, "spec.dataFrom[0].find.name.regexp: invalid regular expression: error parsing regexp: missing closing ]"},
		{"rewrite with a bad regexp", func(es *esv1.ExternalSecret) {
			es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "a"},
				Rewrite: []esv1.ExternalSecretRewrite{{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: "(", Target: "x"}}}}}
		}, "spec.dataFrom[0].rewrite[0].regexp.source: invalid regular expression: error parsing regexp: missing closing )"},
		{"rewrite with a bad transform", func(es *esv1.ExternalSecret) {
			es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "a"},
				Rewrite: []esv1.ExternalSecretRewrite{{Transform: &esv1.ExternalSecretRewriteTransform{Template: "{{ .value | nosuch }}"}}}}}
		}, `spec.dataFrom[0].rewrite[0].transform.template: template: transform:1: function "nosuch" not defined`},
		{"sync window duration", func(es *esv1.ExternalSecret) {
			es.Spec.SyncWindows = &esv1.SyncWindows{Kind: "allow", Windows: []esv1.SyncWindow{{Schedule: "@daily", Duration: "a while"}}}
		}, `spec.syncWindows.windows[0].duration: invalid duration "a while": use a Go duration such as 30m`},
		{"field path on a Secret", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{TemplateFrom: []esv1.TemplateFrom{{Literal: new("a: b"), Target: "spec.db"}}}
		}, `spec.target.template.templateFrom[0].target: "spec.db" is a field path, which only a generic target (spec.target.manifest) has`},
		{"field path into metadata", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Manifest = &esv1.ManifestReference{APIVersion: "v1", Kind: "ConfigMap"}
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{TemplateFrom: []esv1.TemplateFrom{{Literal: new("a: b"), Target: "metadata.labels"}}}
		}, `spec.target.template.templateFrom[0].target: "metadata.labels" is not a path Ferry writes`},
		{"field path with an empty segment", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Manifest = &esv1.ManifestReference{APIVersion: "v1", Kind: "ConfigMap"}
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{TemplateFrom: []esv1.TemplateFrom{{Literal: new("a: b"), Target: "spec..db"}}}
		}, `"spec..db" has an empty segment`},
		{"manifest apiVersion", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Manifest = &esv1.ManifestReference{APIVersion: "a/b/c", Kind: "Widget"}
		}, `spec.target.manifest.apiVersion: "a/b/c" is not an apiVersion`},
		{"sync window schedule", func(es *esv1.ExternalSecret) {
			es.Spec.SyncWindows = &esv1.SyncWindows{Kind: "deny", Windows: []esv1.SyncWindow{{Schedule: "0 25 * * *", Duration: "1h"}}}
		}, `spec.syncWindows.windows[0].schedule: "0 25 * * *": `},
		{"sync window time zone", func(es *esv1.ExternalSecret) {
			es.Annotations = map[string]string{"ferry.dev/sync-windows-time-zone": "Nowhere/Town"}
			es.Spec.SyncWindows = &esv1.SyncWindows{Kind: "deny", Windows: []esv1.SyncWindow{{Schedule: "@daily", Duration: "1h"}}}
		}, `metadata.annotations[ferry.dev/sync-windows-time-zone]: unknown time zone "Nowhere/Town"`},
	}
	if err := ExternalSecret(validES()); err != nil {
		t.Fatalf("the valid ExternalSecret is refused: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := validES()
			tt.mutate(es)
			err := ExternalSecret(es)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ExternalSecret() = %v\nwant a message containing %q", err, tt.want)
			}
		})
	}
}

// TestExternalSecretAdmitsWhatESOAdmits: specs ESO's webhook admits and Ferry acts on.
func TestExternalSecretAdmitsWhatESOAdmits(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(es *esv1.ExternalSecret)
	}{
		// ESO's documentation uses it (senhasegura-dsm-external-secret-all.yaml); the
		// providers whose find selects every secret without conditions read it so.
		{"find without conditions", func(es *esv1.ExternalSecret) {
			es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Find: &esv1.ExternalSecretFind{}}}
		}},
		{"find with empty tags", func(es *esv1.ExternalSecret) {
			es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Find: &esv1.ExternalSecretFind{Tags: map[string]string{}}}}
		}},
		// ESO's generic targets (manifest-advanced-path.yaml, with v2.9's field name).
		{"generic target with field paths", func(es *esv1.ExternalSecret) {
			es.Spec.Target.Manifest = &esv1.ManifestReference{APIVersion: "config.example.com/v1", Kind: "AppConfig"}
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{TemplateFrom: []esv1.TemplateFrom{
				{Literal: new("host: {{ .a }}"), Target: "spec.database"}, {Literal: new("level: info"), Target: "spec"},
				{Literal: new("x: y"), Target: "labels"}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := validES()
			tt.mutate(es)
			if err := ExternalSecret(es); err != nil {
				t.Errorf("ExternalSecret() = %v, want admitted", err)
			}
		})
	}
}

// TestExternalSecretReportsEveryProblem: all problems are reported together, one per line.
func TestExternalSecretReportsEveryProblem(t *testing.T) {
	es := validES()
	es.Spec.Data = append(es.Spec.Data, esv1.ExternalSecretData{SecretKey: "a"})
	es.Spec.RefreshInterval = esv1.NewDuration(-time.Second)
	err := ExternalSecret(es)
	if err == nil {
		t.Fatal("accepted")
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != 3 {
		t.Errorf("want 3 problems, one per line, got %d:\n%v", len(lines), err)
	}
}

func TestUnsupported(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(es *esv1.ExternalSecret)
		want   string
	}{
		{"generator in data", func(es *esv1.ExternalSecret) {
			es.Spec.Data[0].SourceRef = &esv1.StoreSourceRef{GeneratorRef: &esv1.GeneratorRef{Name: "g"}}
		}, "spec.data[0].sourceRef.generatorRef is not supported: use generators through spec.dataFrom[].sourceRef.generatorRef"},
	}
	if err := Unsupported(validES()); err != nil {
		t.Fatalf("a plain ExternalSecret is unsupported: %v", err)
	}
	generic := validES()
	generic.Spec.Target.Manifest = &esv1.ManifestReference{APIVersion: "v1", Kind: "ConfigMap"}
	if err := Unsupported(generic); err != nil {
		t.Errorf("a generic target (spec.target.manifest) is unsupported: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := validES()
			tt.mutate(es)
			if err := Unsupported(es); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Unsupported() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestStoreRules(t *testing.T) {
	tests := []struct {
		name       string
		conditions []esv1.ClusterSecretStoreCondition
		want       string
	}{
		{"valid", []esv1.ClusterSecretStoreCondition{{NamespaceRegexes: []string{"^team-"},
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}}}, ""},
		{"bad regexp", []esv1.ClusterSecretStoreCondition{{}, {NamespaceRegexes: []string{"^ok$", "(x"}}},
			"spec.conditions[1].namespaceRegexes[1]: invalid regular expression: error parsing regexp: missing closing )"},
		{"bad selector", []esv1.ClusterSecretStoreCondition{{NamespaceSelector: &metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}}},
			`spec.conditions[0].namespaceSelector: "Near" is not a valid label selector operator`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &esv1.ClusterSecretStore{Spec: esv1.SecretStoreSpec{Conditions: tt.conditions}}
			err := Store(store)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Store() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Store() = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestGeneratorKindsAreNotJudged: the webhook's checks neither refuse nor warn about an
// ExternalSecret naming a generator kind Ferry does not generate; the controller reports
// it (ProviderNotImplemented) and the API server's schema checks the kind's name.
func TestGeneratorKindsAreNotJudged(t *testing.T) {
	for _, kind := range []string{"SSHKey", "Webhook", "ClusterGenerator", "Password"} {
		es := validES()
		es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{SourceRef: &esv1.StoreGeneratorSourceRef{
			GeneratorRef: &esv1.GeneratorRef{Kind: kind, Name: "g"}}}}
		if err := ExternalSecret(es); err != nil {
			t.Errorf("%s: refused: %v", kind, err)
		}
		if err := Unsupported(es); err != nil {
			t.Errorf("%s: warned: %v", kind, err)
		}
	}
}
