// Package operatortest runs Ferry's operator inside a test binary, built with operator.New
// exactly as main builds it, against a control plane from internal/testenv. Every suite
// that needs a running Ferry starts it here, so start-up and log capture are written once.
package operatortest
