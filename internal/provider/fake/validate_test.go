package fake

import (
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

func TestValidateStore(t *testing.T) {
	result := func(r esv1.ValidationResult) *esv1.ValidationResult { return &r }
	tests := []struct {
		name string
		fake *esv1.FakeProvider
		want string // empty: valid
	}{
		{"valid", &esv1.FakeProvider{Data: []esv1.FakeProviderData{{Key: "a", Value: "1"}, {Key: "a", Version: "v2", Value: "2"}}}, ""},
		{"missing", nil, "spec.provider.fake: missing"},
		{"key required", &esv1.FakeProvider{Data: []esv1.FakeProviderData{{Value: "1"}}}, "spec.provider.fake.data[0].key: required"},
		{"duplicate", &esv1.FakeProvider{Data: []esv1.FakeProviderData{{Key: "a"}, {Key: "a"}}},
			`spec.provider.fake.data[1]: key "a" with version "" appears twice`},
		{"validation result", &esv1.FakeProvider{ValidationResult: result(7)},
			"spec.provider.fake.validationResult: must be 0, 1 or 2, not 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: tt.fake}}}
			err := New().ValidateStore(store)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateStore = %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateStore = %v, want %q", err, tt.want)
			}
		})
	}
}
