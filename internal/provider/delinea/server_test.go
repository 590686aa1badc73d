package delinea

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/delinea/delineafake"
)

// startDSV starts the DSV stand-in for one test.
func startDSV(t *testing.T) *delineafake.Server {
	t.Helper()
	f, err := delineafake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
