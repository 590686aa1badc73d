package ibm

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/ibm/ibmfake"
)

// startIBM starts the IAM and Secrets Manager stand-ins for one test; IAM accepts testAPIKey.
func startIBM(t testing.TB) *ibmfake.Server {
	t.Helper()
	f, err := ibmfake.Start(testAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
