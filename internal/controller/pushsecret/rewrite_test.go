package pushsecret

import (
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// TestRewriteName follows the examples of ESO's "PushSecret dataTo" guide: a regexp rewrite,
// a transform template that sees the key as .value, rules chained in order, and the errors
// of a rule that does not compile or render, each naming the rule.
func TestRewriteName(t *testing.T) {
	re := func(source, target string) esv1alpha1.PushSecretRewrite {
		return esv1alpha1.PushSecretRewrite{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: source, Target: target}}
	}
	transform := func(tpl string) esv1alpha1.PushSecretRewrite {
		return esv1alpha1.PushSecretRewrite{Transform: &esv1.ExternalSecretRewriteTransform{Template: tpl}}
	}
	tests := []struct {
		name, key string
		rules     []esv1alpha1.PushSecretRewrite
		want      string
		wantErr   string
	}{
		{name: "regexp prefix", key: "db-host", rules: []esv1alpha1.PushSecretRewrite{re("^db-", "myapp/database/")}, want: "myapp/database/host"},
		{name: "transform upper", key: "api-key", rules: []esv1alpha1.PushSecretRewrite{transform("app/{{ .value | upper }}")}, want: "app/API-KEY"},
		{name: "chained in order", key: "db-port", rules: []esv1alpha1.PushSecretRewrite{re("^db-", ""), re("^", "prod/")}, want: "prod/port"},
		{name: "regexp then transform", key: "db-password", rules: []esv1alpha1.PushSecretRewrite{
			re("^db-(.*)$", "$1"), transform(`{{ .value | replace "pass" "PASS" }}/v1`)}, want: "PASSword/v1"},
		{name: "group reference", key: "tls-crt", rules: []esv1alpha1.PushSecretRewrite{re("^tls-(.*)$", "config/tls/${1}.pem")}, want: "config/tls/crt.pem"},
		{name: "no rules", key: "username", want: "username"},
		{name: "regexp that does not compile", key: "a", rules: []esv1alpha1.PushSecretRewrite{re("(a", "b")}, wantErr: "rewrite[0].regexp.source"},
		{name: "transform that does not parse", key: "a", rules: []esv1alpha1.PushSecretRewrite{re("a", "b"), transform("{{ .value ")},
			wantErr: "rewrite[1].transform.template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rewriteName(tt.rules, tt.key)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("rewriteName(%q) = %q, %v; want an error naming %s", tt.key, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("rewriteName(%q) = %q, %v; want %q", tt.key, got, err, tt.want)
			}
		})
	}
}
