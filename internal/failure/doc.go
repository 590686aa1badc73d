// Package failure classifies why a reconcile could not do its work: the condition reason a
// user sees, and whether the cause is transient (retried with backoff) or waits for the
// user to change something. Every controller and the store resolver return these, so a
// reason means the same thing on every kind. It holds no behaviour beyond classification.
package failure
