package provider_test

import (
	"errors"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/ferryhq/ferry/internal/provider"
)

func TestDecodeMetadata(t *testing.T) {
	type spec struct {
		Format string            `json:"format,omitempty"`
		Tags   map[string]string `json:"tags,omitempty"`
	}
	tests := []struct {
		name, raw  string
		wantFormat string
		wantErr    string
	}{
		{"none", "", "", ""},
		{"null", "null", "", ""},
		{"envelope", `{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":{"format":"x","tags":{"a":"b"}}}`, "x", ""},
		{"bare spec, as older ESO", `{"format":"y"}`, "y", ""},
		{"a key in other case, as ESO's json decoding takes it", `{"FORMAT":"z"}`, "z", ""},
		{"envelope without spec", `{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata"}`, "", ""},
		{"unknown key", `{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","spec":{"colour":"blue"}}`, "",
			"metadata.spec.colour: the test provider does not read this key (it reads: format, tags)"},
		{"wrong type", `{"spec":{"apiVersion":"kubernetes.external-secrets.io/v1alpha1"},"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata"}`, "",
			"metadata.spec.apiVersion: the test provider does not read this key"},
		{"value of the wrong type", `{"tags":"a=b"}`, "", "metadata.spec.tags: must be a map[string]string"},
		{"other kind", `{"apiVersion":"v1","kind":"ConfigMap","spec":{}}`, "", `apiVersion "v1", kind "ConfigMap"`},
		{"key beside the envelope", `{"apiVersion":"kubernetes.external-secrets.io/v1alpha1","kind":"PushSecretMetadata","tags":{}}`, "", "metadata.tags: unknown key"},
		{"not an object", `["a"]`, "", "metadata: not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := provider.PushRef{RemoteKey: "k"}
			if tt.raw != "" {
				ref.Metadata = &apiextensionsv1.JSON{Raw: []byte(tt.raw)}
			}
			var got spec
			err := provider.DecodeMetadata(ref, "test", &got)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, provider.ErrInvalidMetadata)):
				t.Fatalf("error %v, want ErrInvalidMetadata with %q", err, tt.wantErr)
			case got.Format != tt.wantFormat:
				t.Fatalf("format %q, want %q", got.Format, tt.wantFormat)
			}
		})
	}
	if err := provider.NoMetadata(provider.PushRef{Metadata: &apiextensionsv1.JSON{Raw: []byte(`{"x":1}`)}}, "vault"); err == nil ||
		!strings.Contains(err.Error(), "reads: none") {
		t.Errorf("NoMetadata: %v", err)
	}
}

func TestHasMetadataAndManagedBy(t *testing.T) {
	for raw, want := range map[string]bool{"": false, " null ": false, "{}": true, `{"spec":{}}`: true} {
		ref := provider.PushRef{}
		if raw != "" {
			ref.Metadata = &apiextensionsv1.JSON{Raw: []byte(raw)}
		}
		if got := provider.HasMetadata(ref); got != want {
			t.Errorf("HasMetadata(%q) = %v, want %v", raw, got, want)
		}
	}
	if provider.HasMetadata(provider.PushRef{Metadata: &apiextensionsv1.JSON{}}) {
		t.Error("empty raw metadata counted as metadata")
	}
	err := provider.RefuseManagedByKey("labels", map[string]string{"managed-by": "external-secrets"})
	if !errors.Is(err, provider.ErrInvalidMetadata) || !strings.Contains(err.Error(), "metadata.spec.labels.managed-by") {
		t.Errorf("RefuseManagedByKey = %v", err)
	}
	if err := provider.RefuseManagedByKey("tags", map[string]string{"team": "a"}); err != nil {
		t.Errorf("RefuseManagedByKey without the key = %v", err)
	}
}
