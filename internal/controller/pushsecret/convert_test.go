package pushsecret

import (
	"testing"

	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

func TestReverseUnicode(t *testing.T) {
	for in, want := range map[string]string{
		"db_U002e_host":     "db.host",
		"a_U0024_b_U002f_c": "a$b/c",
		"plain":             "plain",
		"_U00zz_":           "_U00zz_",
		"_U110000_":         "_U110000_",
	} {
		if got := reverseUnicode(in); got != want {
			t.Errorf("reverseUnicode(%q) = %q, want %q", in, got, want)
		}
	}
	out, err := entryValue(map[string][]byte{"db_U002e_host": []byte("h")}, "", esv1alpha1.PushSecretConversionReverseUnicode)
	if err != nil || string(out) != `{"db.host":"h"}` {
		t.Errorf("whole Secret with ReverseUnicode = %s, %v", out, err)
	}
	out, _ = entryValue(map[string][]byte{"db_U002e_host": []byte("h")}, "", esv1alpha1.PushSecretConversionNone)
	if string(out) != `{"db_U002e_host":"h"}` {
		t.Errorf("whole Secret without conversion = %s", out)
	}
}
