package ibm

import (
	"slices"
	"strings"
	"testing"
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
