package template

import (
	"errors"
	"regexp"
	"strings"
	texttemplate "text/template"
)

// renderError is an error of a template, with a text that is safe to put in a condition.
type renderError struct {
	msg   string
	limit bool
}

func (e *renderError) Error() string        { return e.msg }
func (e *renderError) Is(target error) bool { return e.limit && target == ErrLimitExceeded }

// minRedactLen is the shortest value redacted from messages: shorter ones are words and
// numbers that occur in messages anyway, and every message is built not to quote values.
const minRedactLen = 6

// redact replaces every fetched value in msg. It is the last line of defence: the
// messages are already built from names, types and fixed texts.
func (r *Renderer) redact(msg string) string {
	for _, secret := range r.secrets {
		msg = strings.ReplaceAll(msg, secret, "[redacted]")
	}
	return msg
}

// parseError keeps text/template's message ("template: NAME:LINE: ..."): it quotes the
// template's text, not a fetched value.
func (r *Renderer) parseError(err error) error {
	return &renderError{msg: r.redact(err.Error())}
}

// execError turns an execution error into one that names the template, the line and the
// function, and quotes no value.
func (r *Renderer) execError(name string, err error) error {
	var execErr texttemplate.ExecError
	var limit *limitError
	var fn *funcError
	if !errors.As(err, &execErr) {
		// Only the output writer fails outside an ExecError.
		if errors.As(err, &limit) {
			return &renderError{msg: "template: " + name + ": " + limit.msg, limit: true}
		}
		return &renderError{msg: "template: " + name + ": " + withheldExec}
	}
	location, detail := splitExecMessage(execErr.Error(), execErr.Name)
	switch {
	case errors.As(err, &limit):
		// A hook failed: the location is the loop or template, there is no function to name.
		return &renderError{msg: r.redact(location + ": " + limit.msg), limit: true}
	case errors.As(err, &fn):
		return &renderError{msg: r.redact(execErr.Error()), limit: fn.limit}
	default:
		prefix, found := strings.CutSuffix(execErr.Error(), detail)
		if !found || detail == "" {
			return &renderError{msg: r.redact(location + ": " + withheldExec)}
		}
		return &renderError{msg: r.redact(prefix + safeDetail(detail))}
	}
}

// splitExecMessage splits "template: NAME:LINE:COL: executing "NAME" at <NODE>: DETAIL"
// into "template: NAME:LINE:COL" and DETAIL. Messages without a node lack the middle part.
func splitExecMessage(msg, name string) (location, detail string) {
	if i := strings.Index(msg, ": executing "); i >= 0 {
		location = msg[:i]
		rest := msg[i:]
		if j := strings.Index(rest, ">: "); j >= 0 {
			return location, rest[j+len(">: "):]
		}
		return location, ""
	}
	location = "template: " + name
	return location, strings.TrimPrefix(msg, location+": ")
}

// errUnexpected reports a panic of text/template itself, which the tests treat as a bug.
const errUnexpected = "execution failed unexpectedly"

const withheldExec = "execution failed; the details are withheld because they may contain secret data"

// detailRules say which of text/template's own messages are safe to show. The messages
// that quote a value (range over a string, comparing a value with a list, an index out of
// range) are replaced by a fixed text; unknown messages are withheld.
var detailRules = []struct {
	re      *regexp.Regexp
	replace string // empty: the detail is safe as it is; else the whole detail becomes this
}{
	{re: regexp.MustCompile(`^(map has no entry for key|nil data; no entry for key) "`)},
	{re: regexp.MustCompile(`^can't evaluate (field|command) `)},
	{re: regexp.MustCompile(`^wrong number of args for `)},
	{re: regexp.MustCompile(`^undefined variable: `)},
	{re: regexp.MustCompile(`^(template )?"[^"]*" (not defined|is an incomplete or empty template|is not a defined function)$`)},
	{re: regexp.MustCompile(`^exceeded maximum template depth`)},
	{re: regexp.MustCompile(`^(nil pointer evaluating|indirection through explicit nil in|dereference of nil pointer of type|cannot assign nil to|invalid value; expected) `)},
	{re: regexp.MustCompile(`^(nil is not a command|can't give argument to non-function )`)},
	{re: regexp.MustCompile(`^\S+ (overflows int|is an unexported field of struct type|has arguments but cannot be invoked as function|is not a method but has arguments)`)},
	{re: regexp.MustCompile(`^wrong type for value; expected .*; got `)},
	{re: regexp.MustCompile(`^can't (handle|print) .* (for arg of type|of type) `)},
	{re: regexp.MustCompile(`^can't handle assignment of .* to empty interface argument$`)},
	{re: regexp.MustCompile(`^expected (bool|string|integer|unsigned integer|float|complex); found `)},
	{re: regexp.MustCompile(`^error calling (index|slice|len|eq|ne|lt|le|gt|ge|call|not|and|or): (arg \d+: )?(incompatible types for comparison|invalid type for comparison|value has type|value is nil|len of |can't index item of type|cannot index slice/array with|can't slice item of type|cannot 3-index slice|too many slice indexes|index of untyped nil|index of nil pointer|slice of untyped nil|slice of nil pointer|call of nil|non-function |wrong number of args for)`)},
	{re: regexp.MustCompile(`(?s)^error calling (index|slice): index out of range.*$`), replace: "error calling $1: index out of range"},
	{re: regexp.MustCompile(`(?s)^error calling slice: invalid slice index.*$`), replace: "error calling slice: invalid slice index"},
	{re: regexp.MustCompile(`(?s)^error calling (eq|ne|lt|le|gt|ge): non-comparable type.*$`), replace: "error calling $1: non-comparable types"},
	{re: regexp.MustCompile(`(?s)^range can't iterate over .*$`), replace: "range can't iterate over this value (a string or a number?)"},
	{re: regexp.MustCompile(`(?s)^range over send-only channel .*$`), replace: "range over a send-only channel"},
	{re: regexp.MustCompile(`(?s)^if/with can't use .*$`), replace: "if/with can't use this value"},
	{re: regexp.MustCompile(`(?s)^can't use .* iterate over more than one variable.*$`), replace: "can't use this value to iterate over more than one variable"},
}

func safeDetail(detail string) string {
	for _, rule := range detailRules {
		if rule.re.MatchString(detail) {
			if rule.replace == "" {
				return detail
			}
			return rule.re.ReplaceAllString(detail, rule.replace)
		}
	}
	return withheldExec
}
