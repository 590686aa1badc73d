package template

import (
	"strings"
	"testing"
	"time"
)

// fuzzMarker is the value the fuzzed templates see as .m; errors must not quote it.
const fuzzMarker = "Zx8FUZZMARKERq"

var fuzzSeeds = []string{
	`{{ .m }}`,
	`{{ .m | upper | b64enc }}`,
	`{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}`,
	`{{ .missing }}`,
	`{{ range .m }}{{ end }}`,
	`{{ eq (list 1) (list .m) }}`,
	`{{ index (list 1) 5 }}`,
	`{{ .m | pkcs12key }}`,
	`{{ .m | pkcs12keyPass "x" }}`,
	`{{ pemToPkcs12 .m .m }}`,
	`{{ fullPemToPkcs12Pass .m .m .m }}`,
	`{{ .m | filterPEM "CERTIFICATE" }}`,
	`{{ .v | filterCertChain "leaf" }}`,
	`{{ .v | filterCertChain .m }}`,
	`{{ .v | certSANs | join "," }}`,
	`{{ .v | pemTruststoreToPKCS12 }}`,
	`{{ pemTruststoreToPKCS12Pass .v .m }}`,
	`{{ rsaDecrypt "RSA-OAEP" "SHA256" .m .v }}`,
	`{{ rsaDecrypt .m .m .m .m }}`,
	`{{ .v | hexdec | b64enc }}`,
	`{{ .m | jwkPublicKeyPem }}`,
	`{{ .m | jwkPrivateKeyPem }}`,
	`{{ .m | fromYaml | toYaml }}`,
	`{{ .m | fromJSON | toJSON }}`,
	`{{ .m | base64decode | toString }}`,
	`{{ .m | mustFromJson }}`,
	`{{ mustRegexMatch .m "x" }}`,
	`{{ urlParse .m }}`,
	`{{ $d := dict }}{{ $_ := set $d "self" $d }}{{ $d }}`,
	`{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}`,
	`{{ range 100000000 }}{{ end }}`,
	`{{ repeat 100000000 "x" }}`,
	`{{ printf "%1000000d%1000000d" 1 2 }}`,
	`{{ regexReplaceAll "" .m "yyyy" }}`,
	`a: {{ .m | quote }}` + "\n" + `b: 2`,
	`{{- $l := list }}{{ range $k, $v := . }}{{ $l = append $l $v }}{{ end }}{{ $l | join "," }}`,
	`{{ with $x := .m }}{{ $x }}{{ else }}none{{ end }}`,
	`{{ block "b" . }}{{ .m }}{{ end }}`,
	`{{ range $i, $c := until 3 }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ $c }}{{ end }}`,
	`{{ (` + strings.Repeat("(", 50) + `1` + strings.Repeat(")", 51) + ` }}`,
	`{{ slice .m 1 2 }}{{ len . }}{{ printf "%q" . }}`,
	`{{ toYaml . | fromYaml | keys | sortAlpha }}`,
}

func fuzzLimits(f *testing.F) {
	// Small limits keep each input fast; the limits themselves are what is exercised.
	setLimit(f, &maxSteps, 20_000)
	setLimit(f, &maxDuration, 500*time.Millisecond)
	setLimit(f, &maxValueBytes, 256<<10)
	setLimit(f, &maxArgBytes, 256<<10)
	setLimit(f, &maxListLen, 10_000)
}

func fuzzExecute(t *testing.T, engine Engine, text, value string, keysAndValues bool) {
	values := map[string][]byte{"m": []byte(fuzzMarker), "v": []byte(value), "k-1": []byte("x")}
	scope := ScopeValues
	if keysAndValues {
		scope = ScopeKeysAndValues
	}
	out := map[string][]byte{}
	start := time.Now()
	err := Execute(engine, map[string]string{"t": text}, values, scope, out)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("rendering took %s", elapsed)
	}
	if err != nil {
		if strings.Contains(err.Error(), errUnexpected) {
			t.Errorf("text/template panicked: %v", err)
		}
		lower := strings.ToLower(text)
		if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(fuzzMarker)) &&
			!strings.Contains(lower, strings.ToLower(fuzzMarker)) && !strings.Contains(lower, "fail") {
			t.Errorf("the error quotes .m: %v", err)
		}
		return
	}
	for key, rendered := range out {
		if len(rendered) > MaxOutputBytes {
			t.Errorf("key %q has %d bytes", key, len(rendered))
		}
	}
}

func FuzzExecuteV2(f *testing.F) {
	fuzzLimits(f)
	for i, seed := range fuzzSeeds {
		f.Add(seed, "value", i%3 == 0)
	}
	// Certificates and keys as .v, so the mutations start from input the PEM helpers accept.
	p := testCerts(f)
	chain := p.leafPEM + p.intermediatePEM + p.rootPEM
	f.Add(`{{ .v | filterCertChain "intermediate" }}`, chain, false)
	f.Add(`{{ .v | filterCertChain "root" | certSANs }}`, p.rootPEM+p.leafPEM, false)
	f.Add(`{{ pemTruststoreToPKCS12Pass .v "pw" | b64dec | pkcs12certPass "pw" }}`, chain, false)
	f.Add(`{{ rsaDecrypt "RSA-OAEP" "SHA1" (.v | b64dec) .v }}`, p.leafKeyPKCS1PEM, false)
	f.Fuzz(func(t *testing.T, text, value string, keysAndValues bool) {
		fuzzExecute(t, EngineV2, text, value, keysAndValues)
	})
}

func FuzzExecuteV1(f *testing.F) {
	fuzzLimits(f)
	for i, seed := range fuzzSeeds {
		f.Add(seed, "value", i%3 == 0)
	}
	f.Add(`{{ .v | base64decode | toString }}`, "aGk=", false)
	f.Add(`{{ (.v | fromJSON).a }}`, `{"a":1}`, false)
	f.Fuzz(func(t *testing.T, text, value string, keysAndValues bool) {
		fuzzExecute(t, EngineV1, text, value, keysAndValues)
	})
}
