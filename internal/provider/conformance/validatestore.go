package conformance

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/provider"
)

// CheckStoreError checks what ValidateStore returned for one case of a provider's table:
// no error when want is "", else an error containing want, of class (provider.ErrAdmittedMistake
// for what ESO admits, provider.ErrFeatureNotImplemented for Ferry's gaps, nil for a refusal).
func CheckStoreError(t *testing.T, err error, want string, class error) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("ValidateStore = %v, want nil", err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Errorf("ValidateStore = %v, want %q", err, want)
	case err == nil:
	case class == nil && (errors.Is(err, provider.ErrAdmittedMistake) || errors.Is(err, provider.ErrFeatureNotImplemented)):
		t.Errorf("ValidateStore = %v: admitted, want a refusal", err)
	case class != nil && !errors.Is(err, class):
		t.Errorf("ValidateStore = %v, want it marked %v", err, class)
	}
}
