package bitwarden

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/bitwarden/bitwardenfake"
)

const (
	testOrg     = bitwardenfake.Org
	testProject = bitwardenfake.Project
	otherProj   = bitwardenfake.OtherProject
	testToken   = bitwardenfake.Token
	apiPath     = bitwardenfake.APIPath
)

// newID makes a secret ID of Bitwarden's shape.
var newID = bitwardenfake.NewID

// startSDKServer serves an in-process bitwarden-sdk-server (bitwardenfake).
func startSDKServer(t *testing.T) *bitwardenfake.Server {
	t.Helper()
	f, err := bitwardenfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
