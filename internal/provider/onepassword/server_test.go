package onepassword

import (
	"testing"

	"github.com/ferryhq/ferry/internal/provider/onepassword/onepasswordfake"
)

const connectToken = onepasswordfake.Token

// startConnect serves an in-process Connect (onepasswordfake) over TLS with the named vaults.
func startConnect(t *testing.T, vaultNames ...string) *onepasswordfake.Server {
	t.Helper()
	f, err := onepasswordfake.StartTLS(vaultNames...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}
