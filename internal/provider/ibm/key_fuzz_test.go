package ibm

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/ibm/ibmfake"
)

// FuzzParseKey: every remote key either fails with a message that quotes it, or names a
// known type and a secret the API can address (an ID, or a name with its group), with
// parts that rebuild the key.
func FuzzParseKey(f *testing.F) {
	for _, seed := range []string{
		"0b5571f7-21e6-42b7-91c5-3f5ac9793a46", "kv/0b5571f7-21e6-42b7-91c5-3f5ac9793a46",
		"default/username_password/db", "payments/kv/0b5571f7-21e6-42b7-91c5-3f5ac9793a46",
		"name-only", "unknown/0b5571f7-21e6-42b7-91c5-3f5ac9793a46", "a/b/c/d", "//", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		addr, err := parseKey(key)
		if err != nil {
			if !strings.Contains(err.Error(), "remoteRef.key") {
				t.Fatalf("parseKey(%q) = %v: the error does not say which field", key, err)
			}
			return
		}
		if !slices.Contains(knownTypes, addr.secretType) {
			t.Fatalf("parseKey(%q) gave unknown type %q", key, addr.secretType)
		}
		if addr.name == "" || (!addr.byID() && addr.group == "") {
			t.Fatalf("parseKey(%q) = %+v: nothing the API can address", key, addr)
		}
		var rebuilt string
		switch {
		case addr.group != "":
			rebuilt = addr.group + "/" + addr.secretType + "/" + addr.name
		case strings.Contains(key, "/"):
			rebuilt = addr.secretType + "/" + addr.name
		default:
			rebuilt = addr.name
		}
		if rebuilt != key || strings.Contains(addr.name, "/") {
			t.Fatalf("parseKey(%q) = %+v, which rebuilds %q", key, addr, rebuilt)
		}
	})
}

// FuzzSecretAnswer: whatever Secrets Manager answers for a secret of any type, reading it
// neither panics nor quotes a value in an error (the seeds hold the value "fuzz-value"
// in the fields that hold values).
func FuzzSecretAnswer(f *testing.F) {
	for _, seed := range []string{
		`{"secret_type":"arbitrary","payload":"fuzz-value"}`,
		`{"secret_type":"username_password","username":"u","password":"fuzz-value"}`,
		`{"secret_type":"kv","data":{"a":{"b":"fuzz-value"},"n":1.5e300}}`,
		`{"secret_type":"kv","data":"fuzz-value"}`,
		`{"secret_type":"imported_cert","certificate":["fuzz-value"],"private_key":null}`,
		`{"secret_type":"custom_credentials","credentials_content":[1,"fuzz-value"]}`,
		`{"secret_type":7,"payload":{"x":"fuzz-value"}}`, `[]`, `null`, `{"payload":"fuzz-value"`,
	} {
		f.Add([]byte(seed), uint8(0))
	}
	fake := startIBM(f)
	c := newClient(f, fake, testProvider(fake))
	id := ibmfake.NewID()
	f.Fuzz(func(t *testing.T, body []byte, pick uint8) {
		fake.SetFault(func(w http.ResponseWriter, _ *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return true
		})
		secretType := knownTypes[int(pick)%len(knownTypes)]
		for _, ref := range []esv1.ExternalSecretDataRemoteRef{
			{Key: secretType + "/" + id, Property: "password"},
			{Key: secretType + "/" + id, Property: "a.b"},
			{Key: secretType + "/" + id, MetadataPolicy: esv1.MetadataPolicyFetch},
		} {
			_, err := c.GetSecret(context.Background(), ref)
			if err != nil && strings.Contains(err.Error(), "fuzz-value") {
				t.Fatalf("GetSecret error quotes a value: %v", err)
			}
			_, err = c.GetSecretMap(context.Background(), ref)
			if err != nil && strings.Contains(err.Error(), "fuzz-value") {
				t.Fatalf("GetSecretMap error quotes a value: %v", err)
			}
		}
	})
}
