package provider

import (
	"errors"
	"fmt"
	"net/http"
)

// StatusError is a backend's HTTP answer of 400 or more, for providers that speak plain
// HTTP. Its message names the call, the status, the backend's own message (which must name
// keys, never values: providers pass only messages known to be so) and a hint of what a
// user checks.
type StatusError struct {
	// Service names the backend, e.g. "conjur".
	Service string
	Method  string
	// Path is the call's path, without query or secret values.
	Path   string
	Status int
	// Message is the backend's message; empty gives the status text.
	Message string
	// Hint says what to check, e.g. which credential was refused; may be empty.
	Hint string
}

func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return fmt.Sprintf("%s %s %s: %d: %s", e.Service, e.Method, e.Path, e.Status, msg)
}

// HTTPStatus returns the status of a StatusError in err's chain, or 0.
func HTTPStatus(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// RateLimitHint is the hint for a 429, the same for every backend.
const RateLimitHint = "the backend is limiting requests; the sync is retried"
