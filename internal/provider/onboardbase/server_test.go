package onboardbase

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/onboardbase/onboardbasefake"
)

const apiPrefix = onboardbasefake.APIPrefix

// startOnboardbase starts the Onboardbase stand-in for one test.
func startOnboardbase(t *testing.T) *onboardbasefake.Server {
	t.Helper()
	f, err := onboardbasefake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
