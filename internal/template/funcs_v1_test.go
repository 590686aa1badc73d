package template

import (
	"crypto/x509"
	"testing"
)

func TestFunctionsV1(t *testing.T) {
	p := testCerts(t)
	archive := encodePKCS12(t, p.leafKey, p.leaf, []*x509.Certificate{p.intermediate}, "")
	locked := encodePKCS12(t, p.leafKey, p.leaf, nil, "pw")
	values := map[string]string{
		"mysecret": archive,
		"locked":   locked,
		"password": "hi",
		"b64":      "aGk=",
		"json":     `{"user":"admin","ports":[80,443]}`,
		"myjwk":    jwkJSON(t, p.ecKey),
	}
	tests := []struct{ name, template, want string }{
		// ESO's documented v1 examples (pkcs12-template-v1-external-secret.yaml and the
		// multiline one): the functions return bytes, pemCertificate/toString make text.
		{"pkcs12cert | pemCertificate is the leaf", `{{ .mysecret | pkcs12cert | pemCertificate }}`, p.leafPEM},
		{"pkcs12key | pemPrivateKey", `{{ .mysecret | pkcs12key | pemPrivateKey }}`, p.leafKeyPKCS8PEM},
		{"pkcs12certPass", `{{ .locked | pkcs12certPass "pw" | pemCertificate }}`, p.leafPEM},
		{"pkcs12keyPass", `{{ .locked | pkcs12keyPass "pw" | pemPrivateKey }}`, p.leafKeyPKCS8PEM},
		{"toString", `password: "{{ .password | toString }}"`, `password: "hi"`},
		{"a value prints as bytes", `{{ .password }}`, "[104 105]"},
		{"base64decode", `{{ .b64 | base64decode | toString }}`, "hi"},
		{"base64encode", `{{ .password | base64encode | toString }}`, "aGk="},
		{"fromJSON field", `{{ (.json | fromJSON).user }}`, "admin"},
		{"fromJSON index", `{{ index (.json | fromJSON).ports 1 }}`, "443"},
		{"toJSON", `{{ .json | fromJSON | toJSON }}`, `{"ports":[80,443],"user":"admin"}`},
		{"toBytes", `{{ "abc" | toBytes | toString }}`, "abc"},
		{"upper", `{{ .password | toString | upper }}`, "HI"},
		{"lower", `{{ "HI" | lower }}`, "hi"},
		{"jwkPublicKeyPem", `{{ .myjwk | jwkPublicKeyPem }}`, mustRender(t, EngineV2, `{{ .myjwk | jwkPublicKeyPem }}`, values)},
		{"jwkPrivateKeyPem", `{{ .myjwk | jwkPrivateKeyPem }}`, p.ecKeyPKCS8PEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustRender(t, EngineV1, tt.template, values); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}

	errorTests := []struct{ name, template, want string }{
		{"base64decode", `{{ .password | base64decode }}`, "error calling base64decode: the input is not valid base64"},
		{"fromJSON", `{{ .password | fromJSON }}`, "error calling fromJSON: the input is not valid JSON"},
		{"pkcs12key", `{{ .password | pkcs12key }}`, "error calling pkcs12key: the input is not a PKCS#12 archive"},
		{"pkcs12certPass wrong password", `{{ .locked | pkcs12certPass "nope" }}`, "error calling pkcs12certPass: the password of the PKCS#12 archive is wrong"},
		{"upper takes a string", `{{ .password | upper }}`, "wrong type for value; expected string; got []uint8"},
		{"no sprig", `{{ .password | b64enc }}`, `function "b64enc" not defined`},
	}
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := render(t, EngineV1, tt.template, values)
			errContains(t, err, tt.want)
		})
	}
}
