package failure

import (
	"errors"
	"fmt"
	"time"
)

// ReasonNotOurs marks an object that another controller class handles. It is never written
// to a condition: an object that is not ours is left untouched.
const ReasonNotOurs = "NotOurs"

// Error is a failure with the condition reason it maps to.
type Error struct {
	// Reason is the condition reason.
	Reason string
	// Transient failures (provider or API errors) are retried with backoff; the others
	// wait for the user to change the spec.
	Transient bool
	err       error
}

func (f *Error) Error() string { return f.err.Error() }
func (f *Error) Unwrap() error { return f.err }

// Permanent is a failure that retrying cannot fix.
func Permanent(reason string, format string, args ...any) error {
	return &Error{Reason: reason, err: fmt.Errorf(format, args...)}
}

// Transient is a failure worth retrying.
func Transient(reason string, err error) error {
	return &Error{Reason: reason, Transient: true, err: err}
}

// NotOurs says the object belongs to another controller class; err says why.
func NotOurs(err error) error {
	return &Error{Reason: ReasonNotOurs, err: err}
}

// Reason is the condition reason of err, or fallback when err carries none.
func Reason(err error, fallback string) string {
	var f *Error
	if errors.As(err, &f) {
		return f.Reason
	}
	return fallback
}

// IsTransient says whether err is worth retrying. An error without a classification is
// taken as transient: an unexpected error is more likely a passing fault than a spec error.
func IsTransient(err error) bool {
	var f *Error
	if errors.As(err, &f) {
		return f.Transient
	}
	return err != nil
}

// IsNotOurs says whether err means another controller class handles the object.
func IsNotOurs(err error) bool {
	return Reason(err, "") == ReasonNotOurs
}

// MaxRetryAfter bounds how long a service's Retry-After can hold an object back.
const MaxRetryAfter = time.Hour

// RetryAfter is how long the service that refused err asked to be left alone (an HTTP 429
// or 503 answer's Retry-After), at most MaxRetryAfter; 0 when it did not say. A transient
// failure with a delay is retried after it, not with the controller's backoff, whose first
// retries come within milliseconds and would only be refused again.
func RetryAfter(err error) time.Duration {
	var d interface{ RetryDelay() time.Duration }
	if !errors.As(err, &d) {
		return 0
	}
	return min(d.RetryDelay(), MaxRetryAfter)
}
