package security

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestBadProviderValues: values a provider may hold that no Secret can: more than the
// 1 MiB Kubernetes allows, a document that is not the JSON an extract needs, NUL bytes
// under nullBytePolicy Fail, keys no Secret may have. Each is refused with a message that
// says what to change, and nothing is written. Bytes a Secret can hold (invalid UTF-8, NUL
// by default) are written exactly.
func TestBadProviderValues(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	big := strings.Repeat("b", 600<<10)
	fakeStore(t, ns, "store", nil,
		"big", big,
		"truncated", `{"user":"admin","password":"hunter2`,
		"nul", base64.StdEncoding.EncodeToString([]byte("\x00abc\x00")),
		"latin1", base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 'x', 0xc3}),
		"dotdot", `{"..":"x","ok":"y"}`,
	)
	ref := esv1.SecretStoreRef{Name: "store"}

	tooBig := externalSecret(ns, "too-big", ref, "big")
	tooBig.Spec.Data = append(tooBig.Spec.Data, esv1.ExternalSecretData{SecretKey: "again", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "big"}})
	notJSON := externalSecret(ns, "not-json", ref, "truncated")
	notJSON.Spec.Data[0].RemoteRef.Property = "password"
	extractNotJSON := externalSecret(ns, "extract-not-json", ref, "truncated")
	extractNotJSON.Spec.Data = nil
	extractNotJSON.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "truncated"}}}
	nulFail := externalSecret(ns, "nul-fail", ref, "nul")
	nulFail.Spec.Data[0].RemoteRef.DecodingStrategy = esv1.DecodingBase64
	nulFail.Spec.Data[0].RemoteRef.NullBytePolicy = esv1.NullBytePolicyFail
	badKey := externalSecret(ns, "bad-key", ref, "dotdot")
	badKey.Spec.Data = nil
	badKey.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "dotdot"}}}

	refused := map[*esv1.ExternalSecret]string{
		tooBig:         "over Kubernetes' limit of 1048576 bytes (1 MiB)",
		notJSON:        "remote value is not valid JSON",
		extractNotJSON: "remote value is not valid JSON",
		nulFail:        "contains a NUL byte and nullBytePolicy is Fail",
		badKey:         `key ".." is not a valid Secret key`,
	}
	for es := range refused {
		create(t, es)
	}
	for es, want := range refused {
		msg := waitFailed(t, ns, es.Name)
		if !strings.Contains(msg, want) {
			t.Errorf("%s: condition = %q, want %q", es.Name, msg, want)
		}
		if strings.Contains(msg, "hunter2") || strings.Contains(msg, "bbbbbbbb") {
			t.Errorf("%s: the condition quotes the value: %.200q", es.Name, msg)
		}
		assertNoSecret(t, ns, es.Name)
	}

	// What a Secret can hold is written byte for byte.
	exact := externalSecret(ns, "exact", ref, "latin1")
	exact.Spec.Data[0].RemoteRef.DecodingStrategy = esv1.DecodingBase64
	exact.Spec.Data = append(exact.Spec.Data, esv1.ExternalSecretData{SecretKey: "nul",
		RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "nul", DecodingStrategy: esv1.DecodingBase64}})
	create(t, exact)
	s := waitSecret(t, ns, "exact")
	if !bytes.Equal(s.Data["value"], []byte{0xff, 0xfe, 'x', 0xc3}) || !bytes.Equal(s.Data["nul"], []byte("\x00abc\x00")) {
		t.Errorf("bytes changed on the way: %q %q", s.Data["value"], s.Data["nul"])
	}
}
