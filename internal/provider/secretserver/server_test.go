package secretserver

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/secretserver/secretserverfake"
)

// fakeItem is one field of a secret the stand-in holds.
type fakeItem = secretserverfake.Item

// startSS starts the Secret Server stand-in, over plain HTTP, for one test.
func startSS(t *testing.T) *secretserverfake.Server {
	t.Helper()
	f, err := secretserverfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
