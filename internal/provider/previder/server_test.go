package previder

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/previder/previderfake"
)

// startPrevider starts the Previder stand-in for one test.
func startPrevider(t *testing.T) *previderfake.Server {
	t.Helper()
	f, err := previderfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
