package doppler

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/doppler/dopplerfake"
)

// startDoppler starts the Doppler stand-in for one test.
func startDoppler(t *testing.T) *dopplerfake.Server {
	t.Helper()
	f, err := dopplerfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
