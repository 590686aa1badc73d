package keepersecurity

import (
	"fmt"
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator/operatortest"
)

// k8s is the client of the package's control plane, on which a Ferry operator serving the
// Keeper provider runs.
var k8s client.Client

// operatorKeeper is the in-process server the operator's provider calls, for
// TestThroughTheOperator.
var operatorKeeper *fakeKeeper

func TestMain(m *testing.M) {
	f, err := newFakeKeeper()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the in-process Keeper:", err)
		os.Exit(1)
	}
	operatorKeeper = f
	code := operatortest.RunProviders(m, &k8s, testProvider(f))
	f.srv.Close()
	os.Exit(code)
}
