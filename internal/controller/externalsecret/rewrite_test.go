package externalsecret

import (
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

func TestRewrite(t *testing.T) {
	in := map[string][]byte{
		"app/db":    []byte(`{"user":"u","host":"h1"}`),
		"app/cache": []byte(`{"host":"h2","port":6379}`),
	}
	tests := []struct {
		name  string
		rules []esv1.ExternalSecretRewrite
		want  map[string]string
		err   string
	}{
		{name: "regexp", rules: []esv1.ExternalSecretRewrite{{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: "^app/(.*)$", Target: "APP_$1"}}},
			want: map[string]string{"APP_db": `{"user":"u","host":"h1"}`, "APP_cache": `{"host":"h2","port":6379}`}},
		{name: "transform", rules: []esv1.ExternalSecretRewrite{{Transform: &esv1.ExternalSecretRewriteTransform{
			Template: `{{ .value | replace "app/" "" | upper }}`}}},
			want: map[string]string{"DB": `{"user":"u","host":"h1"}`, "CACHE": `{"host":"h2","port":6379}`}},
		{name: "merge conflict refused", rules: []esv1.ExternalSecretRewrite{{Merge: &esv1.ExternalSecretRewriteMerge{}}},
			err: `field "host" is set differently`},
		{name: "merge with priority", rules: []esv1.ExternalSecretRewrite{{Merge: &esv1.ExternalSecretRewriteMerge{Priority: []string{"app/db"}}}},
			want: map[string]string{"user": "u", "host": "h1", "port": "6379"}},
		{name: "merge ignoring conflicts", rules: []esv1.ExternalSecretRewrite{{Merge: &esv1.ExternalSecretRewriteMerge{ConflictPolicy: "Ignore"}}},
			want: map[string]string{"user": "u", "host": "h1", "port": "6379"}},
		{name: "merge as JSON", rules: []esv1.ExternalSecretRewrite{{Merge: &esv1.ExternalSecretRewriteMerge{Strategy: "JSON", Into: "all",
			Priority: []string{"app/cache"}}}},
			want: map[string]string{"all": `{"host":"h2","port":6379,"user":"u"}`}},
		{name: "strict priority on a missing key", rules: []esv1.ExternalSecretRewrite{{Merge: &esv1.ExternalSecretRewriteMerge{Priority: []string{"nope"}}}},
			err: `key "nope" is not among the fetched keys`},
		{name: "stacked", rules: []esv1.ExternalSecretRewrite{
			{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: "/", Target: "-"}},
			{Transform: &esv1.ExternalSecretRewriteTransform{Template: `x-{{ .value }}`}}},
			want: map[string]string{"x-app-db": `{"user":"u","host":"h1"}`, "x-app-cache": `{"host":"h2","port":6379}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rewrite(tt.rules, in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got keys %v, want %v", keysOf(got), tt.want)
			}
			for k, v := range tt.want {
				if string(got[k]) != v {
					t.Errorf("%s = %s, want %s", k, got[k], v)
				}
			}
		})
	}
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func FuzzRewrite(f *testing.F) {
	f.Add("^a(.*)$", "b$1", `{{ .value }}`, `{"x":1}`)
	f.Fuzz(func(t *testing.T, source, target, tmpl, value string) {
		in := map[string][]byte{"a/b": []byte(value), "c": []byte(value)}
		_, _ = rewrite([]esv1.ExternalSecretRewrite{
			{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: source, Target: target}},
			{Transform: &esv1.ExternalSecretRewriteTransform{Template: tmpl}},
			{Merge: &esv1.ExternalSecretRewriteMerge{ConflictPolicy: "Ignore"}},
		}, in)
	})
}
