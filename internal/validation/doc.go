// Package validation holds the checks of an object's spec that the API schema cannot
// express. The validating webhook and the controllers both call it, so a cluster without the
// webhook is just as safe. Every error names the field and says how to fix it; no check
// reads a secret value or calls the API.
package validation
