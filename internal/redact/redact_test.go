package redact

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	s := New()
	s.Add([]byte("hunter2-password"), []byte("short"), []byte("line-one-of-key\nline-two-of-key"), []byte(`quo"ted\value`))
	s.AddMap(map[string][]byte{"k": []byte("from-a-secret")})
	s.AddStrings(map[string]string{"k": "from-a-template-source"})
	tests := []struct{ in, want string }{
		{"plain hunter2-password here", "plain [redacted] here"},
		{"b64 " + base64.StdEncoding.EncodeToString([]byte("hunter2-password")), "b64 [redacted]"},
		{"raw " + base64.RawURLEncoding.EncodeToString([]byte("hunter2-password")), "raw [redacted]"},
		{fmt.Sprintf("go-quoted %q", `quo"ted\value`), `go-quoted "[redacted]"`},
		{`json-quoted "quo\"ted\\value"`, `json-quoted "[redacted]"`},
		{"a line: line-two-of-key.", "a line: [redacted]."},
		{"whole: " + fmt.Sprintf("%q", "line-one-of-key\nline-two-of-key"), `whole: "[redacted]"`},
		{"map from-a-secret and from-a-template-source", "map [redacted] and [redacted]"},
		{"Ferry's own text keeps short words: short", "Ferry's own text keeps short words: short"},
		{"nothing known", "nothing known"},
	}
	for _, tt := range tests {
		if got := s.String(tt.in); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A value that contains another is replaced whole, not around the shorter one.
func TestLongestFirst(t *testing.T) {
	s := New()
	s.Add([]byte("abcdef"), []byte("xxabcdefyy"))
	if got := s.String("v=xxabcdefyy"); got != "v=[redacted]" {
		t.Errorf("got %q", got)
	}
}

var errTransient = errors.New("transient")

func TestError(t *testing.T) {
	s := New()
	s.Add([]byte("hunter2-password"))
	err := s.Error(fmt.Errorf("provider said hunter2-password: %w", errTransient))
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("not redacted: %v", err)
	}
	if !errors.Is(err, errTransient) {
		t.Errorf("the chain is lost: %v", err)
	}
	clean := errors.New("nothing to hide")
	if err := s.Error(clean); err != clean { //nolint:errorlint // the very same error is the point
		t.Error("an error without values should be returned as it is")
	}
	if s.Error(nil) != nil {
		t.Error("nil should stay nil")
	}
	var none *Set
	if none.String("hunter2-password") != "hunter2-password" || none.Error(clean) != clean { //nolint:errorlint // the very same error
		t.Error("a nil Set should redact nothing")
	}
	none.Add([]byte("ignored"))
}

func FuzzString(f *testing.F) {
	f.Add("secret-value", "message with secret-value in it")
	f.Add("\x00\xff\xfe invalid", "\x00\xff\xfe invalid")
	f.Fuzz(func(t *testing.T, value, msg string) {
		s := New()
		s.Add([]byte(value))
		out := s.String(msg + value)
		if len(value) >= MinLen && strings.Contains(out, value) && !strings.Contains(Placeholder, value) {
			t.Errorf("value %q survives in %q", value, out)
		}
		// In a provider's words, a value of any length that stands on its own is gone.
		out = s.Message(Foreign(errors.New(msg + " " + value + " " + msg)))
		if recognisable(value) && strings.Contains(" "+out+" ", " "+value+" ") && !strings.Contains(Placeholder, value) &&
			!strings.Contains(msg, value) {
			t.Errorf("value %q survives in the provider's words %q", value, out)
		}
	})
}

// Values shorter than MinLen are redacted from a provider's words wherever they stand on
// their own, and only there; Ferry's own words around them are untouched.
func TestForeignShortValues(t *testing.T) {
	s := New()
	s.Add([]byte("☃"), []byte("ʬq"), []byte("ab"), []byte("443"), []byte(":"), []byte(" "), []byte("hunter2-password"))
	tests := []struct{ in, want string }{
		{"the value ☃ is not acceptable", "the value [redacted] is not acceptable"},
		{"snowman☃glued", "snowman[redacted]glued"},
		{`refusing "ʬq": policy`, `refusing "[redacted]": policy`},
		{"valueʬq", "value[redacted]"}, // ʬ is not an ASCII letter: nothing to continue
		{"ʬqx", "ʬqx"},                 // continues a word: not that value
		{"table ab tab", "table [redacted] tab"},
		{"port 443 and 4430", "port [redacted] and 4430"},
		{"4430 443", "4430 [redacted]"}, // found after an occurrence that continues a word
		{"ab ab ab", "[redacted] [redacted] [redacted]"},
		{"key: value with spaces", "key: value with spaces"}, // punctuation values are not recognisable
		{"long hunter2-password inside", "long [redacted] inside"},
		{"b64 " + base64.StdEncoding.EncodeToString([]byte("☃")), "b64 [redacted]"},
	}
	for _, tt := range tests {
		err := fmt.Errorf("spec.data[0] (secretKey ab): %w", Foreign(errors.New(tt.in)))
		want := "spec.data[0] (secretKey ab): " + tt.want
		if got := s.Message(err); got != want {
			t.Errorf("Message(%q) = %q, want %q", tt.in, got, want)
		}
	}
	// Without the Foreign mark, the text is Ferry's: short values stay.
	if got := s.Message(errors.New("the value ☃ is not acceptable")); got != "the value ☃ is not acceptable" {
		t.Errorf("Ferry's own text was changed: %q", got)
	}
	// Every Foreign part of a joined error is redacted, and the chain survives.
	joined := errors.Join(Foreign(errors.New("first ☃")), fmt.Errorf("second: %w", Foreign(fmt.Errorf("ab %w", errTransient))))
	redacted := s.Error(joined)
	if got := redacted.Error(); got != "first [redacted]\nsecond: [redacted] transient" {
		t.Errorf("joined = %q", got)
	}
	if !errors.Is(redacted, errTransient) {
		t.Error("the chain is lost")
	}
	if Foreign(nil) != nil || s.Message(nil) != "" {
		t.Error("nil should stay nil")
	}
}

// Occurrences of a short value that overlap, or that start inside one continuing a word,
// are all masked.
func TestForeignOverlappingValues(t *testing.T) {
	s := New()
	s.Add([]byte("0 0"))
	for in, want := range map[string]string{
		"00 0 0 00": "00 [redacted] 00",
		"0 0 0":     "[redacted]",
		"x 0 0 0 y": "x [redacted] y",
		"0 00 0 0":  "0 00 [redacted]",
	} {
		if got := s.Message(Foreign(errors.New(in))); got != want {
			t.Errorf("Message(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkReconcileWithoutError is what a successful sync costs the Set: it records the
// values of a Secret of five keys and never redacts a message.
func BenchmarkReconcileWithoutError(b *testing.B) {
	data := map[string][]byte{
		"username": []byte("app-user"), "password": []byte("s3cr3t-p4ssw0rd-value"),
		"host": []byte("db.internal.example"), "port": []byte("5432"),
		"tls.key": []byte("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"),
	}
	b.ReportAllocs()
	for b.Loop() {
		s := New()
		s.AddMap(data)
		if err := s.Error(nil); err != nil {
			b.Fatal(err)
		}
	}
}
