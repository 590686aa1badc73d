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

// MinLen is the length of the shortest value redacted from text Ferry built itself. Such
// text is made of names and fixed sentences, never of values, and a shorter value ("true",
// "443", "a") would match words the message needs. Text Ferry did not build (see Foreign)
// is redacted of values of every length.
const MinLen = 6

// Set is the secret values one reconcile has seen. The zero value is empty and ready; a
// nil *Set redacts only the process's credentials (RememberCredential), as every Set does
// besides its own values. It is safe for concurrent use.
type Set struct {
	mu sync.Mutex
	// pending are values added since forms was last filled: a reconcile adds every value
	// it reads, and most never redact anything, so a value's forms are computed only when
	// a message is redacted.
	pending []string
	// forms maps each recognisable form of a value to whether that value is shorter than
	// MinLen (a form of both a short and a long value counts as long).
	forms map[string]bool
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
		if len(v) > 0 {
			s.pending = append(s.pending, string(v))
		}
	}
}

// expand records the forms of the pending values. Callers hold s.mu.
func (s *Set) expand() {
	for _, v := range s.pending {
		s.add(v)
		if strings.Contains(v, "\n") {
			for _, line := range strings.Split(v, "\n") {
				s.add(strings.TrimSpace(line))
			}
		}
	}
	s.pending = nil
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
	if !recognisable(v) {
		return
	}
	if s.forms == nil {
		s.forms = map[string]bool{}
	}
	short := len(v) < MinLen
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
		if form == "" {
			continue
		}
		if wasShort, ok := s.forms[form]; !ok || (wasShort && !short) {
			s.forms[form] = short
			s.sorted = nil
		}
	}
}

// recognisable says whether a value can be found in text at all: a value made only of
// ASCII punctuation and spaces (":", " ", "--") cannot be told from the punctuation of
// the message around it, and replacing it would erase that message.
func recognisable(v string) bool {
	if len(v) >= MinLen {
		return true
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x80 || isWordByte(c) {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// String returns msg, text Ferry built, with every known value of at least MinLen bytes
// replaced by Placeholder.
func (s *Set) String(msg string) string {
	for _, f := range s.snapshot() {
		if !f.short {
			msg = strings.ReplaceAll(msg, f.text, Placeholder)
		}
	}
	return msg
}

// foreign returns text Ferry did not build with every known value, of any length,
// replaced. A value shorter than MinLen is replaced wherever it stands on its own: an
// occurrence that merely continues a word ("ab" inside "table") is left, since it is not
// that value but part of another word.
func (s *Set) foreign(text string) string {
	for _, f := range s.snapshot() {
		if f.short {
			text = replaceStandalone(text, f.text)
		} else {
			text = strings.ReplaceAll(text, f.text, Placeholder)
		}
	}
	return text
}

type knownForm struct {
	text  string
	short bool
}

// snapshot returns the forms of the Set's values and of the process's credentials,
// longest first, so a value is replaced whole before any shorter value inside it.
func (s *Set) snapshot() []knownForm {
	creds := credentials.forms()
	if s == nil {
		return creds
	}
	own := s.own()
	if len(creds) == 0 {
		return own
	}
	// Both lists are sorted already: merge them rather than sort every message's forms.
	out := make([]knownForm, 0, len(own)+len(creds))
	for len(own) > 0 && len(creds) > 0 {
		if len(own[0].text) >= len(creds[0].text) {
			out, own = append(out, own[0]), own[1:]
		} else {
			out, creds = append(out, creds[0]), creds[1:]
		}
	}
	return append(append(out, own...), creds...)
}

// own returns the forms of the Set's own values, longest first.
func (s *Set) own() []knownForm {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expand()
	if s.sorted == nil && len(s.forms) > 0 {
		s.sorted = make([]string, 0, len(s.forms))
		for f := range s.forms {
			s.sorted = append(s.sorted, f)
		}
		slices.SortFunc(s.sorted, func(a, b string) int { return len(b) - len(a) })
	}
	out := make([]knownForm, len(s.sorted))
	for i, f := range s.sorted {
		out[i] = knownForm{text: f, short: s.forms[f]}
	}
	return out
}

// replaceStandalone replaces each occurrence of form in text that does not continue a
// word: the byte before it and its first byte are not both ASCII letters or digits, nor
// are its last byte and the byte after it. Occurrences may overlap ("0 0" twice in
// "0 0 0") or start inside one that continues a word ("0 0" in "00 0 0"): every byte of
// every standalone occurrence is masked, and overlapping ones become one Placeholder.
func replaceStandalone(text, form string) string {
	var b strings.Builder
	written, maskEnd := 0, -1 // text[:written] is in b; a mask runs up to maskEnd
	for from := 0; from <= len(text)-len(form); {
		i := strings.Index(text[from:], form)
		if i < 0 {
			break
		}
		start := from + i
		end := start + len(form)
		from = start + 1
		joinsBefore := start > 0 && isWordByte(text[start-1]) && isWordByte(form[0])
		joinsAfter := end < len(text) && isWordByte(text[end]) && isWordByte(form[len(form)-1])
		if joinsBefore || joinsAfter {
			continue
		}
		if start > maskEnd {
			if maskEnd >= 0 {
				b.WriteString(Placeholder)
				written = maskEnd
			}
			b.WriteString(text[written:start])
		}
		maskEnd = max(maskEnd, end)
	}
	if maskEnd >= 0 {
		b.WriteString(Placeholder)
		written = maskEnd
	}
	b.WriteString(text[written:])
	return b.String()
}

// Message returns err's text as it may be written to a condition, an event or a log: the
// parts marked Foreign (a provider's own words) lose every known value of any length, and
// the whole loses every known value of at least MinLen bytes.
func (s *Set) Message(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, text := range foreignTexts(err) {
		if text != "" {
			msg = strings.ReplaceAll(msg, text, s.foreign(text))
		}
	}
	return s.String(msg)
}

// Error returns err with the message Message gives. errors.Is and errors.As still see the
// original chain, so callers can tell a transient failure from a permanent one; only the
// text changes. It returns nil for nil, and err itself when nothing needs redacting.
func (s *Set) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	redacted := s.Message(err)
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

// Foreign marks err's text as not built by Ferry: a provider's, an SDK's or a server's
// words, which may repeat what the provider holds or was sent. Every error that comes back
// from a provider is marked where it enters a controller, so that Message redacts it of
// values of every length. It returns nil for nil.
func Foreign(err error) error {
	if err == nil {
		return nil
	}
	return &foreignError{err: err}
}

type foreignError struct{ err error }

func (e *foreignError) Error() string { return e.err.Error() }
func (e *foreignError) Unwrap() error { return e.err }

// foreignTexts returns the texts of the outermost Foreign errors in err's tree.
func foreignTexts(err error) []string {
	if f, ok := err.(*foreignError); ok { //nolint:errorlint // this error itself; the tree is walked below
		return []string{f.err.Error()}
	}
	switch u := err.(type) { //nolint:errorlint // walking the tree by hand
	case interface{ Unwrap() error }:
		if next := u.Unwrap(); next != nil {
			return foreignTexts(next)
		}
	case interface{ Unwrap() []error }:
		var out []string
		for _, e := range u.Unwrap() {
			if e != nil {
				out = append(out, foreignTexts(e)...)
			}
		}
		return out
	}
	return nil
}
