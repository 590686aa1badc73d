package provider_test

import (
	"errors"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

func TestFind(t *testing.T) {
	path := func(p string) *string { return &p }
	name := func(re string) *esv1.FindName { return &esv1.FindName{RegExp: re} }
	tests := []struct {
		name     string
		find     esv1.ExternalSecretFind
		opts     provider.FindOptions
		err      string
		remote   string
		tags     map[string]string
		selected bool
	}{
		{"name regexp", esv1.ExternalSecretFind{Name: name("^db-")}, provider.FindOptions{}, "", "db-password", nil, true},
		{"name regexp, other name", esv1.ExternalSecretFind{Name: name("^db-")}, provider.FindOptions{}, "", "api-key", nil, false},
		{"path prefix", esv1.ExternalSecretFind{Path: path("team/")}, provider.FindOptions{}, "", "team/db", nil, true},
		{"outside the path", esv1.ExternalSecretFind{Path: path("team/"), Name: name("db")}, provider.FindOptions{}, "", "other/db", nil, false},
		{"every tag", esv1.ExternalSecretFind{Tags: map[string]string{"env": "prod", "team": "a"}}, provider.FindOptions{},
			"", "x", map[string]string{"env": "prod", "team": "a", "extra": "1"}, true},
		{"a tag differs", esv1.ExternalSecretFind{Tags: map[string]string{"env": "prod"}}, provider.FindOptions{},
			"", "x", map[string]string{"env": "dev"}, false},
		{"a tag missing", esv1.ExternalSecretFind{Tags: map[string]string{"env": "prod"}}, provider.FindOptions{}, "", "x", nil, false},
		{"nothing asked", esv1.ExternalSecretFind{}, provider.FindOptions{}, "set at least one", "", nil, false},
		{"bad regexp", esv1.ExternalSecretFind{Name: name("(")}, provider.FindOptions{}, "dataFrom.find.name.regexp", "", nil, false},
		{"no paths in this backend", esv1.ExternalSecretFind{Path: path("a/")}, provider.FindOptions{NoPaths: "Key Vault"},
			"Key Vault has no paths", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := provider.CompileFind(tt.find, tt.opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("CompileFind error = %v, want one with %q", err, tt.err)
				}
				if tt.name == "nothing asked" && !errors.Is(err, provider.ErrNoFindCondition) {
					t.Fatalf("error %v is not ErrNoFindCondition", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Match(tt.remote, tt.tags); got != tt.selected {
				t.Fatalf("Match(%q, %v) = %v, want %v", tt.remote, tt.tags, got, tt.selected)
			}
		})
	}
}
