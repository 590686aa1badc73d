package pulumi

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/pulumi/pulumifake"
)

const (
	testOrg, testProject, testEnv = pulumifake.Org, pulumifake.Project, pulumifake.Env
	testToken                     = pulumifake.Token
)

var lookupPath = pulumifake.LookupPath

// startESC starts the Pulumi ESC stand-in for one test.
func startESC(t *testing.T) *pulumifake.Server {
	t.Helper()
	f, err := pulumifake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// setDefinition replaces the stand-in's environment definition with text.
func setDefinition(t *testing.T, f *pulumifake.Server, text string) {
	t.Helper()
	if err := f.SetDefinition(text); err != nil {
		t.Fatal(err)
	}
}
