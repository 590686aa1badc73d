package scaleway

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/scaleway/scalewayfake"
)

const (
	testRegion    = scalewayfake.Region
	testProject   = scalewayfake.Project
	testSecretKey = scalewayfake.SecretKey
)

var newID = scalewayfake.NewID

// startScaleway starts the Secret Manager stand-in for one test.
func startScaleway(t *testing.T) *scalewayfake.Server {
	t.Helper()
	f, err := scalewayfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
