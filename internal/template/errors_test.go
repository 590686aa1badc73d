package template

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// The markers stand for secret values. No error message may contain them, in any case.
const (
	marker      = "FERRYMARKER7Qx"
	shortMarker = "Qz9" // shorter than minRedactLen: only the messages' wording keeps it out
	numMarker   = "987654321"
)

// markerValues hold the markers in inputs that make functions fail in different ways.
func markerValues() map[string]string {
	pemOf := func(blockType string) string {
		return "-----BEGIN " + blockType + "-----\n" + base64.StdEncoding.EncodeToString([]byte(marker)) + "\n-----END " + blockType + "-----\n"
	}
	return map[string]string{
		"marker":    marker,
		"short":     shortMarker,
		"num":       numMarker,
		"pemText":   "-----BEGIN CERTIFICATE-----\n" + marker + "\n-----END CERTIFICATE-----\n",
		"certBad":   pemOf("CERTIFICATE"),
		"keyBad":    pemOf("PRIVATE KEY"),
		"rsaKeyBad": pemOf("RSA PRIVATE KEY"),
		"json":      `{"` + marker + `": `,
		"jwk":       `{"kty":"RSA","n":"` + marker + `","e":"AQAB"}`,
		"yaml":      marker + ": [unclosed",
	}
}

type markerCase struct {
	fn       string // the function the case makes fail; "" for text/template itself
	template string
}

var markerCasesV2 = []markerCase{
	{"pkcs12key", `{{ .marker | pkcs12key }}`},
	{"pkcs12keyPass", `{{ .marker | pkcs12keyPass .marker }}`},
	{"pkcs12cert", `{{ .pemText | pkcs12cert }}`},
	{"pkcs12certPass", `{{ .marker | pkcs12certPass .short }}`},
	{"pemToPkcs12", `{{ pemToPkcs12 .certBad .keyBad }}`},
	{"pemToPkcs12", `{{ pemToPkcs12 .marker .rsaKeyBad }}`},
	{"pemToPkcs12Pass", `{{ pemToPkcs12Pass .certBad .marker .marker }}`},
	{"fullPemToPkcs12", `{{ fullPemToPkcs12 .pemText .keyBad }}`},
	{"fullPemToPkcs12Pass", `{{ fullPemToPkcs12Pass .certBad .rsaKeyBad .marker }}`},
	{"filterPEM", `{{ .marker | filterPEM .marker }}`},
	{"filterPEM", `{{ .pemText | filterPEM "CERTIFICATE" }}`},
	{"filterCertChain", `{{ .pemText | filterCertChain "leaf" }}`},
	{"filterCertChain", `{{ .certBad | filterCertChain .marker }}`},
	{"filterCertChain", `{{ .marker | filterCertChain "root" }}`},
	{"certSANs", `{{ .certBad | certSANs }}`},
	{"certSANs", `{{ .marker | certSANs }}`},
	{"pemTruststoreToPKCS12", `{{ .pemText | pemTruststoreToPKCS12 }}`},
	{"pemTruststoreToPKCS12Pass", `{{ pemTruststoreToPKCS12Pass .certBad .marker }}`},
	{"rsaDecrypt", `{{ rsaDecrypt .marker "SHA256" .marker .rsaKey }}`},
	{"rsaDecrypt", `{{ rsaDecrypt "RSA-OAEP" .marker .marker .rsaKey }}`},
	{"rsaDecrypt", `{{ rsaDecrypt "RSA-OAEP" "SHA1" .marker .rsaKeyBad }}`},
	{"rsaDecrypt", `{{ rsaDecrypt "RSA-OAEP" "SHA512" .marker .ecKey }}`},
	{"jwkPublicKeyPem", `{{ .jwk | jwkPublicKeyPem }}`},
	{"jwkPublicKeyPem", `{{ .marker | jwkPublicKeyPem }}`},
	{"jwkPrivateKeyPem", `{{ .jwk | jwkPrivateKeyPem }}`},
	{"fromYaml", `{{ .yaml | fromYaml }}`},
	{"fromYaml", `{{ .marker | fromYaml }}`},
	{"htpasswd", `{{ htpasswd "u" "p" .marker }}`},
	// sprig functions whose own errors quote their arguments.
	{"mustFromJson", `{{ .json | mustFromJson }}`},
	{"mustRegexMatch", `{{ mustRegexMatch (print "(" .marker) "x" }}`},
	{"mustRegexFind", `{{ mustRegexFind (print "(" .short) "x" }}`},
	{"mustRegexFindAll", `{{ mustRegexFindAll (print "(" .marker) "x" -1 }}`},
	{"mustRegexReplaceAll", `{{ mustRegexReplaceAll (print "(" .marker) "x" "y" }}`},
	{"mustRegexReplaceAllLiteral", `{{ mustRegexReplaceAllLiteral (print "(" .marker) "x" "y" }}`},
	{"mustRegexSplit", `{{ mustRegexSplit (print "(" .marker) "x" -1 }}`},
	{"mustToDate", `{{ mustToDate "2006-01-02" .marker }}`},
	{"mustDateModify", `{{ now | mustDateModify .marker }}`},
	{"urlParse", `{{ urlParse (print "http://[" .marker) }}`},
	{"semver", `{{ semver .marker }}`},
	{"semverCompare", `{{ semverCompare (print ">=" .marker) "1.0.0" }}`},
	{"decryptAES", `{{ decryptAES .marker .marker }}`},
	{"buildCustomCert", `{{ buildCustomCert (b64enc .marker) (b64enc .marker) }}`},
	{"fail", `{{ fail .marker }}`},
	{"fail", `{{ fail (print "bad value " .marker) }}`},
	{"repeat", `{{ repeat -1 .marker }}`},
	// text/template's own messages.
	{"", `{{ range .marker }}{{ end }}`},
	{"", `{{ range .short }}{{ end }}`},
	{"", `{{ range (upper .marker) }}{{ end }}`},
	{"", `{{ range $a, $b := (atoi .num) }}{{ end }}`},
	{"", `{{ eq (list 1) .marker }}`},
	{"", `{{ eq (list 1) .short }}`},
	{"", `{{ eq (list 1) (list .marker) }}`},
	{"", `{{ ne (list .short) (list 1) }}`},
	{"", `{{ lt .marker 1 }}`},
	{"", `{{ index (list 1 2) (atoi .num) }}`},
	{"", `{{ slice .marker 1 (atoi .num) }}`},
	{"", `{{ slice .marker (atoi .num) 1 }}`},
	{"", `{{ .marker.field }}`},
	{"", `{{ call .marker }}`},
	{"", `{{ index .marker 1 2 }}`},
	{"", `{{ len (atoi .num) }}`},
	{"", `{{ .marker }}{{ repeat 1048576 "x" }}`},
	{"", `{{ .missing }}`},
}

var markerCasesV1 = []markerCase{
	{"pkcs12key", `{{ .marker | pkcs12key }}`},
	{"pkcs12keyPass", `{{ .marker | pkcs12keyPass "x" }}`},
	{"pkcs12cert", `{{ .pemText | pkcs12cert }}`},
	{"pkcs12certPass", `{{ .marker | pkcs12certPass "x" }}`},
	{"jwkPublicKeyPem", `{{ .jwk | jwkPublicKeyPem }}`},
	{"jwkPrivateKeyPem", `{{ .marker | jwkPrivateKeyPem }}`},
	{"base64decode", `{{ .marker | base64decode }}`},
	{"base64decode", `{{ .pemText | base64decode }}`},
	{"fromJSON", `{{ .json | fromJSON }}`},
	{"fromJSON", `{{ .marker | fromJSON }}`},
	{"", `{{ .marker | upper }}`},
	{"", `{{ .missing }}`},
	{"", `{{ index .marker 99999 }}`},
}

func TestErrorsNeverQuoteValues(t *testing.T) {
	withKeys := markerValues()
	withKeys["rsaKey"], withKeys["ecKey"] = testCerts(t).leafKeyPKCS1PEM, testCerts(t).ecKeySEC1PEM
	values := byteValues(withKeys)
	check := func(t *testing.T, engine Engine, c markerCase, scope Scope) {
		t.Helper()
		err := Execute(engine, map[string]string{"tpl": c.template}, values, scope, map[string][]byte{})
		if err == nil {
			t.Fatalf("%s %s: no error", engine, c.template)
		}
		msg := err.Error()
		for _, secret := range []string{strings.ToLower(marker), strings.ToLower(shortMarker), numMarker} {
			if strings.Contains(strings.ToLower(msg), secret) {
				t.Errorf("%s %s: the error quotes a value: %s", engine, c.template, msg)
			}
		}
		if c.fn != "" && !strings.Contains(msg, "error calling "+c.fn+":") {
			t.Errorf("%s %s: the error does not name %s: %s", engine, c.template, c.fn, msg)
		}
	}
	for _, c := range markerCasesV2 {
		check(t, EngineV2, c, ScopeValues)
	}
	for _, c := range markerCasesV1 {
		check(t, EngineV1, c, ScopeValues)
	}

	// Rendered KeysAndValues text is made of values; so are its keys.
	for _, text := range []string{
		`{{ .marker }}: [unclosed`,
		`{{ .marker }}: {nested: map}`,
		`{{ .marker }}: 1` + "\n" + `{{ .marker }}: 2`,
		`- {{ .marker }}`,
		`{{ .marker }}`,
		`{{ .short }}: [1]`,
	} {
		check(t, EngineV2, markerCase{template: text}, ScopeKeysAndValues)
	}
	// Two keys rendered from the same value collide.
	err := Execute(EngineV2, map[string]string{"{{ .marker }}": "a", "{{ .marker | trim }}": "b"}, values, ScopeValues, map[string][]byte{})
	if err == nil || strings.Contains(strings.ToLower(err.Error()), strings.ToLower(marker)) {
		t.Errorf("collision: %v", err)
	}

	// Every ESO function has a case.
	for engine, cases := range map[Engine][]markerCase{EngineV2: markerCasesV2, EngineV1: markerCasesV1} {
		var names []string
		if engine == EngineV2 {
			names = []string{"pkcs12key", "pkcs12keyPass", "pkcs12cert", "pkcs12certPass", "pemToPkcs12", "pemToPkcs12Pass",
				"fullPemToPkcs12", "fullPemToPkcs12Pass", "pemTruststoreToPKCS12", "pemTruststoreToPKCS12Pass", "filterPEM",
				"filterCertChain", "certSANs", "jwkPublicKeyPem", "jwkPrivateKeyPem", "fromYaml", "rsaDecrypt"}
		} else {
			names = []string{"pkcs12key", "pkcs12keyPass", "pkcs12cert", "pkcs12certPass", "jwkPublicKeyPem", "jwkPrivateKeyPem",
				"base64decode", "fromJSON"}
		}
		for _, name := range names {
			if !slices.ContainsFunc(cases, func(c markerCase) bool { return c.fn == name }) {
				t.Errorf("%s: no marker case makes %s fail", engine, name)
			}
		}
	}
}

func TestSafeDetail(t *testing.T) {
	tests := []struct{ detail, want string }{
		{`map has no entry for key "user"`, `map has no entry for key "user"`},
		{"wrong type for value; expected string; got []uint8", "wrong type for value; expected string; got []uint8"},
		{"range can't iterate over hunter2", "range can't iterate over this value (a string or a number?)"},
		{"error calling index: index out of range: 1234", "error calling index: index out of range"},
		{"error calling eq: non-comparable types hunter2: string, []int: [1]", "error calling eq: non-comparable types"},
		{"if/with can't use {hunter2}", "if/with can't use this value"},
		{"something new in a later Go: hunter2", withheldExec},
	}
	for _, tt := range tests {
		if got := safeDetail(tt.detail); got != tt.want {
			t.Errorf("safeDetail(%q) = %q, want %q", tt.detail, got, tt.want)
		}
	}
}
