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
		{"too short to redact: short", "too short to redact: short"},
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
	})
}
