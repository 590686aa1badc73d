package template

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// setLimit lowers a limit for one test. Tests that call it must not run in parallel.
func setLimit[T any](t testing.TB, limit *T, value T) {
	t.Helper()
	old := *limit
	*limit = value
	t.Cleanup(func() { *limit = old })
}

func wantLimit(t *testing.T, err error, text string) {
	t.Helper()
	errContains(t, err, text)
	if !errors.Is(err, ErrLimitExceeded) {
		t.Errorf("%v does not wrap ErrLimitExceeded", err)
	}
}

func TestOutputLimit(t *testing.T) {
	got := mustRender(t, EngineV2, `{{ repeat 1048576 "x" }}`, nil)
	if len(got) != MaxOutputBytes {
		t.Errorf("a 1 MiB output has %d bytes", len(got))
	}
	_, err := render(t, EngineV2, `{{ repeat 1048576 "x" }}y`, nil)
	wantLimit(t, err, "template: t: the output exceeds 1048576 bytes")
	_, err = render(t, EngineV2, `{{ range until 2000 }}{{ repeat 1000 "x" }}{{ end }}`, nil)
	wantLimit(t, err, "template: t: the output exceeds 1048576 bytes")

	templates := map[string]string{}
	for i := range 5 {
		templates[fmt.Sprint("k", i)] = `{{ repeat 1000000 "x" }}`
	}
	err = Execute(EngineV2, templates, nil, ScopeValues, map[string][]byte{})
	wantLimit(t, err, "template: k4: the output of all templates exceeds 4194304 bytes")
}

func TestRunawayTemplatesStop(t *testing.T) {
	setLimit(t, &maxSteps, 10_000)
	tests := []struct{ name, template, want string }{
		{"nested ranges", `{{ range until 50000 }}{{ range until 50000 }}{{ end }}{{ end }}`, "template: t:1:32: more than 10000 steps"},
		{"range over a number", `{{ range 1000000000 }}{{ end }}`, "template: t:1:9: more than 10000 steps"},
		{"exponential recursion", `{{ define "r" }}{{ if lt . 30 }}{{ template "r" (add1 .) }}{{ template "r" (add1 .) }}{{ end }}{{ end }}{{ template "r" 0 }}`, "more than 10000 steps"},
		{"deep recursion", `{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}`, "templates call each other more than 1000 levels deep"},
		{"function calls", `{{ range until 5000 }}{{ "x" | upper | lower }}{{ end }}`, "error calling "},
		{"a huge until", `{{ until 1000000000 }}`, "error calling until: the list would have more than 100000 elements"},
		{"a huge untilStep", `{{ untilStep 0 1000000000 1 }}`, "error calling untilStep: the list would have more than 100000 elements"},
		{"a huge seq", `{{ seq 1 2 1000000000 }}`, "error calling seq: the list would have more than 100000 elements"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := render(t, EngineV2, tt.template, nil)
			wantLimit(t, err, tt.want)
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("stopping took %s", elapsed)
			}
		})
	}
	if got := mustRender(t, EngineV2, `{{ range until 3 }}{{ . }}{{ end }}{{ seq 3 }}`, nil); got != "0121 2 3" {
		t.Errorf("small loops: %q", got)
	}
}

func TestTimeLimit(t *testing.T) {
	setLimit(t, &maxDuration, 50*time.Millisecond)
	start := time.Now()
	_, err := render(t, EngineV2, `{{ range until 100000 }}{{ bcrypt "x" }}{{ end }}`, nil)
	wantLimit(t, err, "rendering took longer than 50ms")
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("stopping took %s", elapsed)
	}

	// The time is the Renderer's, over all its renders: each is quick, together they are not.
	setLimit(t, &maxDuration, 100*time.Millisecond)
	r, err := New(EngineV2, nil)
	if err != nil {
		t.Fatal(err)
	}
	quick := map[string]string{"k": `{{ range until 500 }}{{ $_ := sha256sum "x" }}{{ end }}`}
	renders := 0
	for ; renders < 10_000; renders++ {
		if err = r.Render(quick, ScopeValues, map[string][]byte{}); err != nil {
			break
		}
	}
	wantLimit(t, err, "rendering took longer than 100ms")
	if renders == 0 {
		t.Error("the first render already took too long; the test proves nothing")
	}
}

func TestLargeResultsAreRefused(t *testing.T) {
	big := map[string]string{"big": strings.Repeat("x", 1_000_000)}
	tests := []struct{ name, template, want string }{
		{"repeat", `{{ repeat 10000000 "x" }}`, "error calling repeat: the result would exceed 4194304 bytes"},
		{"doubling", `{{ $s := "x" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}`, "error calling print: the arguments of one call exceed 4194304 bytes"},
		{"many arguments", `{{ cat .big .big .big .big .big }}`, "error calling cat: the arguments of one call exceed 4194304 bytes"},
		{"printf padding", `{{ printf "%1000000d%1000000d%1000000d%1000000d%1000000d" 1 2 3 4 5 }}`, "error calling printf: the result would exceed"},
		{"printf star padding", `{{ printf "%*d%*d%*d%*d%*d" 999999 1 999999 2 999999 3 999999 4 999999 5 }}`, "error calling printf: the result would exceed"},
		{"replace empty", `{{ replace "" (repeat 1000 "y") (repeat 10000 "x") }}`, "error calling replace: the result would exceed"},
		{"regexReplaceAll empty match", `{{ regexReplaceAll "" (repeat 100000 "x") (repeat 100 "y") }}`, "error calling regexReplaceAll: the result would exceed"},
		{"regexReplaceAll references", `{{ regexReplaceAll "(a)" .big "$1$1$1$1$1" }}`, "error calling regexReplaceAll: the result would exceed"},
		{"regexReplaceAllLiteral", `{{ regexReplaceAllLiteral "x" .big "yyyyy" }}`, "error calling regexReplaceAllLiteral: the result would exceed"},
		{"wrapWith", `{{ wrapWith 1 (repeat 10000 "y") (repeat 10000 "x") }}`, "error calling wrapWith: the result would exceed"},
		{"join", `{{ join (repeat 100000 "x") (until 1000) }}`, "error calling join: the result would exceed"},
		{"indent", `{{ indent 1000000 (repeat 100 "\n") }}`, "error calling indent: the result would exceed"},
		{"nindent", `{{ nindent 1000000 (repeat 100 "\n") }}`, "error calling nindent: the result would exceed"},
		{"randAlphaNum", `{{ randAlphaNum 100000000 }}`, "error calling randAlphaNum: the result would exceed"},
		{"randBytes", `{{ randBytes 100000000 }}`, "error calling randBytes: the result would exceed"},
		{"splitList", `{{ splitList "" .big }}`, "error calling splitList: the list would have more than 100000 elements"},
		{"split", `{{ split "x" .big }}`, "error calling split: the list would have more than 100000 elements"},
		{"splitn", `{{ splitn "x" -1 .big }}`, "error calling splitn: the list would have more than 100000 elements"},
		{"regexSplit", `{{ regexSplit "x" .big -1 }}`, "error calling regexSplit: the list would have more than 100000 elements"},
		{"regexFindAll", `{{ regexFindAll "x" .big -1 }}`, "error calling regexFindAll: the list would have more than 100000 elements"},
		{"uniq", `{{ until 50000 | uniq }}`, "error calling uniq: the list is too long for this function"},
		{"a dict that holds itself", `{{ $d := dict }}{{ $_ := set $d "self" $d }}`, "error calling set: a value nests more than 64 levels deep"},
		{"fromJson too deep", `{{ fromJson (printf "%s1%s" (repeat 100 "[") (repeat 100 "]")) }}`, "error calling fromJson: a value nests more than 64 levels deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, EngineV2, tt.template, big)
			wantLimit(t, err, tt.want)
		})
	}

	// The same functions within bounds.
	small := []struct{ template, want string }{
		{`{{ regexReplaceAll "a(n)" "banana" "o$1" }}`, "bonona"},
		{`{{ regexReplaceAllLiteral "a" "banana" "$1" }}`, "b$1n$1n$1"},
		{`{{ replace "a" "oo" "banana" }}`, "boonoonoo"},
		{`{{ printf "%05d|%-4s|%.2f" 42 "ab" 3.14159 }}`, "00042|ab  |3.14"},
		{`{{ list 1 1 2 | uniq | len }}`, "2"},
		{`{{ wrapWith 2 "\n" "abcd" }}`, "ab\ncd"},
		{`{{ indent 2 "a\nb" }}`, "  a\n  b"},
		{`{{ join "," (until 3) }}`, "0,1,2"},
	}
	for _, tt := range small {
		if got := mustRender(t, EngineV2, tt.template, nil); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.template, got, tt.want)
		}
	}
}

func TestChangingTheValues(t *testing.T) {
	// A template that grows "." is sized anew.
	_, err := render(t, EngineV2, `{{ $_ := set . "big" (repeat 3000000 "x") }}{{ cat . . | len }}`, nil)
	wantLimit(t, err, "error calling cat: the arguments of one call exceed")

	// One template's changes do not reach the next.
	out := map[string][]byte{}
	templates := map[string]string{"a": `{{ $_ := set . "user" "mallory" }}{{ .user }}`, "b": `{{ .user }}`}
	if err := Execute(EngineV2, templates, byteValues(map[string]string{"user": "alice"}), ScopeValues, out); err != nil {
		t.Fatal(err)
	}
	if string(out["a"]) != "mallory" || string(out["b"]) != "alice" {
		t.Errorf("got %q", out)
	}
}

func TestLargeValuesStillWork(t *testing.T) {
	// Values near the Secret limit go through functions and into the output.
	value := strings.Repeat("ab", 400_000)
	got := mustRender(t, EngineV2, `{{ .v | upper | lower | b64enc | b64dec }}`, map[string]string{"v": value})
	if got != value {
		t.Error("a 800 kB value did not survive a pipeline")
	}
}

func BenchmarkRenderV2(b *testing.B) {
	values := byteValues(map[string]string{"user": "admin", "password": "s3cret", "host": "db.example.org"})
	templates := map[string]string{
		"url":    `postgresql://{{ .user }}:{{ .password | urlquery }}@{{ .host }}:5432/app`,
		"config": "user: {{ .user }}\npassword: {{ .password | quote }}\n",
	}
	for b.Loop() {
		if err := Execute(EngineV2, templates, values, ScopeValues, map[string][]byte{}); err != nil {
			b.Fatal(err)
		}
	}
}
