package bitwarden

import (
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// k8s is the client of the package's control plane, where a Ferry operator serving only
// the Bitwarden provider runs (operator_test.go).
var k8s client.Client

func TestMain(m *testing.M) {
	operatortest.SetLogger(nil, 0)
	os.Exit(testenv.Run(m, func(cp *testenv.ControlPlane) {
		k8s = cp.Client
		operatortest.MustStart(cp, operator.Options{Providers: provider.NewRegistry(New())})
	}))
}
