package validation

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

func TestPushSecret(t *testing.T) {
	valid := func() esv1alpha1.PushSecretSpec {
		return esv1alpha1.PushSecretSpec{
			SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{{Name: "vault"}},
			Selector:        esv1alpha1.PushSecretSelector{Secret: &esv1alpha1.PushSecretSecret{Name: "db"}},
			DataTo: []esv1alpha1.PushSecretDataTo{{StoreRef: &esv1alpha1.PushSecretStoreRef{Name: "vault"},
				Match:   &esv1alpha1.PushSecretDataToMatch{RegExp: "^db-"},
				Rewrite: []esv1alpha1.PushSecretRewrite{{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: "^db-", Target: "app-"}}}}},
		}
	}
	badSelector := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: "Bogus"}}}
	tests := []struct {
		name   string
		change func(*esv1alpha1.PushSecretSpec)
		want   string
	}{
		{"valid", func(*esv1alpha1.PushSecretSpec) {}, ""},
		{"a generator instead of a Secret", func(s *esv1alpha1.PushSecretSpec) {
			s.Selector = esv1alpha1.PushSecretSelector{GeneratorRef: &esv1.GeneratorRef{Kind: "Password", Name: "p"}}
		}, ""},
		{"a name overrides a broken selector", func(s *esv1alpha1.PushSecretSpec) { s.Selector.Secret.Selector = badSelector }, ""},
		{"no source", func(s *esv1alpha1.PushSecretSpec) { s.Selector = esv1alpha1.PushSecretSelector{} },
			"spec.selector.secret: required"},
		{"empty source", func(s *esv1alpha1.PushSecretSpec) { s.Selector.Secret.Name = "" },
			"spec.selector.secret: set name or selector"},
		{"bad source selector", func(s *esv1alpha1.PushSecretSpec) {
			s.Selector.Secret = &esv1alpha1.PushSecretSecret{Selector: badSelector}
		},
			`spec.selector.secret.selector: "Bogus" is not a valid label selector operator`},
		{"store without name", func(s *esv1alpha1.PushSecretSpec) {
			s.SecretStoreRefs = append(s.SecretStoreRefs, esv1alpha1.PushSecretStoreRef{Kind: "SecretStore"})
		},
			"spec.secretStoreRefs[1]: set name or labelSelector"},
		{"dataTo without storeRef", func(s *esv1alpha1.PushSecretSpec) { s.DataTo[0].StoreRef = nil },
			"spec.dataTo[0].storeRef: required"},
		{"dataTo bad store selector", func(s *esv1alpha1.PushSecretSpec) {
			s.DataTo[0].StoreRef = &esv1alpha1.PushSecretStoreRef{LabelSelector: badSelector}
		},
			"spec.dataTo[0].storeRef.labelSelector:"},
		{"bad match", func(s *esv1alpha1.PushSecretSpec) { s.DataTo[0].Match.RegExp = "(db" },
			"spec.dataTo[0].match.regexp: invalid regular expression"},
		{"bad rewrite", func(s *esv1alpha1.PushSecretSpec) { s.DataTo[0].Rewrite[0].Regexp.Source = "[" },
			"spec.dataTo[0].rewrite[0].regexp.source: invalid regular expression"},
		{"bad transform", func(s *esv1alpha1.PushSecretSpec) {
			s.DataTo[0].Rewrite = append(s.DataTo[0].Rewrite, esv1alpha1.PushSecretRewrite{Transform: &esv1.ExternalSecretRewriteTransform{Template: "{{ .value"}})
		}, "spec.dataTo[0].rewrite[1].transform.template:"},
		{"bad template", func(s *esv1alpha1.PushSecretSpec) {
			s.Template = &esv1.ExternalSecretTemplate{Data: map[string]string{"url": "{{ .host | nosuchfunc }}"}}
		}, "spec.template.data[url]:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := valid()
			tt.change(&spec)
			err := PushSecret(&spec)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
