package template

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/Masterminds/sprig/v3"
)

func TestMissingKeyIsAnError(t *testing.T) {
	for _, engine := range []Engine{EngineV1, EngineV2} {
		_, err := render(t, engine, "line one\n{{ .present }}\n{{ .absent }}", map[string]string{"present": "x"})
		errContains(t, err, `template: t:3:3: executing "t" at <.absent>: map has no entry for key "absent"`)
	}
}

func TestEnginesDiffer(t *testing.T) {
	values := map[string]string{"a": "hi"}
	tests := []struct {
		template string
		v1, v2   string // output, or the error it contains when it starts with "error: "
	}{
		{template: `{{ .a }}`, v1: "[104 105]", v2: "hi"},
		{template: `{{ .a | toString }}`, v1: "hi", v2: "hi"},
		{template: `{{ .a | upper }}`, v1: "error: wrong type for value; expected string; got []uint8", v2: "HI"},
		{template: `{{ .a | base64encode | toString }}`, v1: "aGk=", v2: `error: function "base64encode" not defined`},
		{template: `{{ .a | b64enc }}`, v1: `error: function "b64enc" not defined`, v2: "aGk="},
		{template: `{{ "hi" | toBytes | toString }}`, v1: "hi", v2: `error: function "toBytes" not defined`},
	}
	for _, tt := range tests {
		for engine, want := range map[Engine]string{EngineV1: tt.v1, EngineV2: tt.v2} {
			got, err := render(t, engine, tt.template, values)
			if wantErr, ok := strings.CutPrefix(want, "error: "); ok {
				errContains(t, err, wantErr)
				continue
			}
			if err != nil || got != want {
				t.Errorf("%s %s: got %q, %v; want %q", engine, tt.template, got, err, want)
			}
		}
	}
}

func TestKeysAreTemplatesInV2Only(t *testing.T) {
	templates := map[string]string{"{{ .env }}-url": "https://{{ .env }}.example.org", "plain": "x"}
	values := byteValues(map[string]string{"env": "prod"})

	v2 := map[string][]byte{}
	if err := Execute(EngineV2, templates, values, ScopeValues, v2); err != nil {
		t.Fatal(err)
	}
	if got := string(v2["prod-url"]); got != "https://prod.example.org" || len(v2) != 2 {
		t.Errorf("v2: %q", v2)
	}

	v1 := map[string][]byte{}
	if err := Execute(EngineV1, map[string]string{"{{ .env }}-url": "{{ .env | toString }}"}, values, ScopeValues, v1); err != nil {
		t.Fatal(err)
	}
	if got := string(v1["{{ .env }}-url"]); got != "prod" {
		t.Errorf("v1: %q", v1)
	}

	err := Execute(EngineV2, map[string]string{"{{ .nope }}": "x"}, values, ScopeValues, map[string][]byte{})
	errContains(t, err, `template: {{ .nope }} (key):1:3: executing "{{ .nope }} (key)" at <.nope>: map has no entry for key "nope"`)
}

func TestRenderMetadata(t *testing.T) {
	templates := map[string]string{
		"app.kubernetes.io/name":  "{{ .app }}",
		"{{ .app }}/rotated":      "true",
		"last-sync-for-user/team": "{{ .user | upper }}",
	}
	values := byteValues(map[string]string{"app": "billing", "user": "ops"})
	r, err := New(EngineV2, values)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{"kept": "as is"}
	if err := r.RenderMetadata(templates, got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"kept": "as is", "app.kubernetes.io/name": "billing", "billing/rotated": "true", "last-sync-for-user/team": "OPS"}
	if !maps.Equal(got, want) {
		t.Errorf("v2: got %v, want %v", got, want)
	}

	// ESO's v1 engine does not template metadata: it is copied as written.
	r, err = New(EngineV1, values)
	if err != nil {
		t.Fatal(err)
	}
	got = map[string]string{}
	if err := r.RenderMetadata(templates, got); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, templates) {
		t.Errorf("v1: got %v, want %v", got, templates)
	}
}

func TestKeysAndValues(t *testing.T) {
	tests := []struct {
		name     string
		template string
		values   map[string]string
		want     map[string]string
	}{
		{
			name:     "YAML",
			template: "user: {{ .user }}\nport: 5432\nenabled: true\nempty:\nblock: |\n  multi\n  line\n",
			values:   map[string]string{"user": "admin"},
			want:     map[string]string{"user": "admin", "port": "5432", "enabled": "true", "empty": "", "block": "multi\nline\n"},
		},
		{
			name:     "JSON",
			template: `{{ dict "user" .user "n" 5 | toJson }}`,
			values:   map[string]string{"user": "admin"},
			want:     map[string]string{"user": "admin", "n": "5"},
		},
		{
			// ESO's documented annotations example (template-v2-scope-and-target.yaml).
			name:     "keys from values",
			template: "last-sync-for-user/{{ .user }}: {{ .now }}",
			values:   map[string]string{"user": "admin", "now": "2024-01-01"},
			want:     map[string]string{"last-sync-for-user/admin": "2024-01-01"},
		},
		{
			name:     "values that look like YAML stay strings",
			template: `{{ range $k, $v := . }}{{ $k }}: {{ $v | quote }}{{ "\n" }}{{ end }}`,
			values:   map[string]string{"a": "- not a list", "b": "key: not a map", "c": "0755"},
			want:     map[string]string{"a": "- not a list", "b": "key: not a map", "c": "0755"},
		},
		{name: "empty output has no keys", template: "{{/* nothing */}}", want: map[string]string{}},
		{name: "aliases", template: "a: &x hello\nb: *x", want: map[string]string{"a": "hello", "b": "hello"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := map[string][]byte{}
			if err := Execute(EngineV2, map[string]string{"tpl": tt.template}, byteValues(tt.values), ScopeKeysAndValues, out); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for k, v := range out {
				got[k] = string(v)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}

	errorTests := []struct{ name, template, want string }{
		{"a list", "- a\n- b", "template: tpl: the rendered text is not a YAML mapping of keys to values"},
		{"a nested value", "a:\n  b: c", "template: tpl: the value on line 2 is not a string"},
		{"a duplicate", "a: 1\na: 2", "template: tpl: the key on line 2 appears twice"},
		{"not YAML", "a: b\n  c: [", "template: tpl: the rendered text is not valid YAML (line 2)"},
	}
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			err := Execute(EngineV2, map[string]string{"tpl": tt.template}, nil, ScopeKeysAndValues, map[string][]byte{})
			errContains(t, err, tt.want)
		})
	}
}

func TestLiteralHtpasswdExample(t *testing.T) {
	// ESO's documented templateFrom literal (template-v2-literal-example.yaml), rendered
	// as keys and values.
	literal := `{{- $creds := list }}
{{- range $user, $pw := . }}
  {{- $creds = append $creds (printf "%s" (htpasswd $user $pw "bcrypt")) }}
{{- end }}
auth: {{ $creds | join "\n" | quote }}`
	out := map[string][]byte{}
	values := byteValues(map[string]string{"user1": "password1", "user2": "password2"})
	if err := Execute(EngineV2, map[string]string{"literal": literal}, values, ScopeKeysAndValues, out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out["auth"]), "\n")
	if len(out) != 1 || len(lines) != 2 || !strings.HasPrefix(lines[0], "user1:$2a$") || !strings.HasPrefix(lines[1], "user2:$2a$") {
		t.Errorf("auth is %q", out["auth"])
	}
}

func TestRender(t *testing.T) {
	values := byteValues(map[string]string{"a": "1"})

	t.Run("two templates render one key", func(t *testing.T) {
		out := map[string][]byte{"old": []byte("kept")}
		err := Execute(EngineV2, map[string]string{"{{ .a }}": "x", "1": "y"}, values, ScopeValues, out)
		errContains(t, err, "template: {{ .a }}: renders the same key as template 1")
		if len(out) != 1 || string(out["old"]) != "kept" {
			t.Errorf("out changed on error: %q", out)
		}
	})
	t.Run("out is untouched when a later template fails", func(t *testing.T) {
		out := map[string][]byte{}
		err := Execute(EngineV2, map[string]string{"a-ok": "fine", "b-bad": "{{ .nope }}"}, values, ScopeValues, out)
		errContains(t, err, "template: b-bad:1:3")
		if len(out) != 0 {
			t.Errorf("out changed on error: %q", out)
		}
	})
	t.Run("empty engine and scope mean v2 and Values", func(t *testing.T) {
		out := map[string][]byte{}
		if err := Execute("", map[string]string{"k": "{{ .a | b64enc }}"}, values, "", out); err != nil || string(out["k"]) != "MQ==" {
			t.Errorf("got %q, %v", out, err)
		}
	})
	t.Run("unknown engine", func(t *testing.T) {
		errContains(t, Execute("v3", nil, values, ScopeValues, map[string][]byte{}), `unknown template engine "v3"`)
	})
	t.Run("unknown scope", func(t *testing.T) {
		errContains(t, Execute(EngineV2, nil, values, "Keys", map[string][]byte{}), `unknown template scope "Keys"`)
	})
	t.Run("errors name the key and the line", func(t *testing.T) {
		err := Execute(EngineV2, map[string]string{"config.yaml": "a: 1\nb: 2\nc: {{ .a | pkcs12key }}\n"}, values, ScopeValues, map[string][]byte{})
		errContains(t, err, `template: config.yaml:3:11: executing "config.yaml" at <pkcs12key>: error calling pkcs12key:`)
	})
	t.Run("parse errors name the key and the line", func(t *testing.T) {
		err := Execute(EngineV2, map[string]string{"config.yaml": "a: 1\n{{ if }}"}, values, ScopeValues, map[string][]byte{})
		errContains(t, err, "template: config.yaml:2: missing value for if")
	})
	t.Run("define and template", func(t *testing.T) {
		out := map[string][]byte{}
		text := `{{ define "greet" }}hello {{ . }}{{ end }}{{ template "greet" .a }}, {{ range list 1 2 }}{{ template "greet" . }};{{ end }}`
		if err := Execute(EngineV2, map[string]string{"k": text}, values, ScopeValues, out); err != nil || string(out["k"]) != "hello 1, hello 1;hello 2;" {
			t.Errorf("got %q, %v", out["k"], err)
		}
	})
}

func TestRemovedFunctions(t *testing.T) {
	for _, name := range []string{"env", "expandenv", "getHostByName"} {
		_, err := render(t, EngineV2, `{{ `+name+` "HOME" }}`, nil)
		errContains(t, err, `function "`+name+`" not defined`)
	}

	// Every other sprig function is there, with ESO's on top.
	funcs := v2Funcs()
	for name := range sprig.TxtFuncMap() {
		if _, ok := funcs[name]; !ok && !slices.Contains(removedSprigFuncs, name) {
			t.Errorf("sprig's %s is missing", name)
		}
	}
	eso := []string{"pkcs12key", "pkcs12keyPass", "pkcs12cert", "pkcs12certPass", "pemToPkcs12", "pemToPkcs12Pass",
		"fullPemToPkcs12", "fullPemToPkcs12Pass", "pemTruststoreToPKCS12", "pemTruststoreToPKCS12Pass", "filterPEM",
		"filterCertChain", "certSANs", "jwkPublicKeyPem", "jwkPrivateKeyPem", "toYaml", "fromYaml", "rsaDecrypt", "hexdec"}
	for _, name := range eso {
		if _, ok := funcs[name]; !ok {
			t.Errorf("ESO's %s is missing from v2", name)
		}
	}
	v1 := []string{"base64decode", "base64encode", "fromJSON", "toJSON", "pemPrivateKey", "pemCertificate", "toString", "toBytes",
		"upper", "lower", "pkcs12key", "pkcs12keyPass", "pkcs12cert", "pkcs12certPass", "jwkPublicKeyPem", "jwkPrivateKeyPem"}
	if got := slices.Sorted(maps.Keys(v1Funcs())); !slices.Equal(got, slices.Sorted(slices.Values(v1))) {
		t.Errorf("v1 functions are %v", got)
	}
}

func TestDSAIsRefused(t *testing.T) {
	_, err := render(t, EngineV2, `{{ genPrivateKey "dsa" }}`, nil)
	errContains(t, err, "error calling genPrivateKey: DSA keys are not available")
	if errors.Is(err, ErrLimitExceeded) {
		t.Error("a refused function is not a limit")
	}
	if got := mustRender(t, EngineV2, `{{ genPrivateKey "ecdsa" | filterPEM "EC PRIVATE KEY" | len | lt 100 }}`, nil); got != "true" {
		t.Errorf("ecdsa key: %q", got)
	}
}

func TestEveryFunctionIsGuarded(t *testing.T) {
	for engine, funcs := range map[Engine]map[string]any{EngineV2: v2FuncsOnce(), EngineV1: v1FuncsOnce()} {
		r, err := New(engine, nil)
		if err != nil {
			t.Fatal(err)
		}
		for name, fn := range funcs {
			// guard panics on a function text/template could not call.
			wrapped := reflect.TypeOf(r.guard(name, fn))
			if wrapped.NumOut() != 2 || wrapped.Out(1) != errorType {
				t.Errorf("%s %s: the guarded function is %s", engine, name, wrapped)
			}
		}
	}
}
