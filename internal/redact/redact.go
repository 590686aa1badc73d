package redact

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Placeholder replaces every known value in a message.
const Placeholder = "[redacted]"

// MinLen is the length of the shortest value redacted. Shorter values are words and numbers
// that messages contain anyway ("true", "443"), and replacing them would make every message
// unreadable without hiding anything.
const MinLen = 6

// Set is the secret values one reconcile has seen. The zero value is empty and ready; a
// nil *Set redacts nothing. It is safe for concurrent use.
type Set struct {
	mu    sync.Mutex
	forms map[string]struct{}
	// sorted caches the forms longest first; nil when forms changed.
	sorted []string
}

// New returns an empty Set.
func New() *Set { return &Set{} }

// Add records values. Each is redacted as it is, in base64 (standard and URL alphabets,
// padded or not), as Go and JSON quote it, and line by line when it spans several lines
// (a PEM key quoted in part).
func (s *Set) Add(values ...[]byte) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		s.add(string(v))
		if strings.Contains(string(v), "\n") {
			for _, line := range strings.Split(string(v), "\n") {
				s.add(strings.TrimSpace(line))
			}
		}
	}
}

// AddMap records every value of a Secret's data.
func (s *Set) AddMap(data map[string][]byte) {
	for _, v := range data {
		s.Add(v)
	}
}

// AddStrings records every value of a string map (a Secret read as strings).
func (s *Set) AddStrings(data map[string]string) {
	for _, v := range data {
		s.Add([]byte(v))
	}
}

func (s *Set) add(v string) {
	if len(v) < MinLen {
		return
	}
	if s.forms == nil {
		s.forms = map[string]struct{}{}
	}
	b := []byte(v)
	quoted := strconv.Quote(v)
	jsonQuoted, _ := json.Marshal(v)
	for _, form := range []string{
		v,
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		quoted[1 : len(quoted)-1],
		string(jsonQuoted[1 : len(jsonQuoted)-1]),
	} {
		if _, ok := s.forms[form]; !ok {
			s.forms[form] = struct{}{}
			s.sorted = nil
		}
	}
}

// String returns msg with every known value replaced by Placeholder.
func (s *Set) String(msg string) string {
	if s == nil {
		return msg
	}
	s.mu.Lock()
	if s.sorted == nil && len(s.forms) > 0 {
		s.sorted = make([]string, 0, len(s.forms))
		for f := range s.forms {
			s.sorted = append(s.sorted, f)
		}
		// Longest first, so a value is replaced whole before any shorter value inside it.
		slices.SortFunc(s.sorted, func(a, b string) int { return len(b) - len(a) })
	}
	forms := s.sorted
	s.mu.Unlock()
	for _, f := range forms {
		msg = strings.ReplaceAll(msg, f, Placeholder)
	}
	return msg
}

// Error returns err with a redacted message. errors.Is and errors.As still see the original
// chain, so callers can tell a transient failure from a permanent one; only the text
// changes. It returns nil for nil, and err itself when nothing needs redacting.
func (s *Set) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	redacted := s.String(msg)
	if redacted == msg {
		return err
	}
	return &redactedError{msg: redacted, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
