package infisical

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/infisical/infisicalfake"
)

const (
	testProjectSlug = infisicalfake.ProjectSlug
	testProjectID   = infisicalfake.ProjectID
	testEnv         = infisicalfake.Env
)

// startInfisical starts the Infisical stand-in for one test.
func startInfisical(t *testing.T) *infisicalfake.Server {
	t.Helper()
	f, err := infisicalfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
