package gitlab

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/gitlab/gitlabfake"
)

const (
	testToken   = gitlabfake.Token
	testProject = gitlabfake.Project
)

// fakeVariable is the stand-in's variable, what the tests seed and read back.
type fakeVariable = gitlabfake.Variable

// startGitLab starts the GitLab stand-in for one test.
func startGitLab(t *testing.T) *gitlabfake.Server {
	t.Helper()
	f, err := gitlabfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
