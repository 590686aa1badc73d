// Package conversiontest holds what the conversion tests of the older API versions share:
// a random object filler for fuzzing, round-trip assertions and the API server's defaulting
// of a generated CRD's schema.
//
// It is for tests only: non-test code must not import it, and it must not start processes or
// talk to an API server.
package conversiontest
