package akeyless

import (
	"os"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// The package's control plane, where a Ferry operator serving only the Akeyless provider
// runs (operator_test.go): its client, and its configuration, from which the tests read
// the ServiceAccount issuer's keys.
var (
	k8s        client.Client
	restConfig *rest.Config
)

func TestMain(m *testing.M) {
	operatortest.SetLogger(nil, 0)
	os.Exit(testenv.Run(m, func(cp *testenv.ControlPlane) {
		k8s, restConfig = cp.Client, cp.Config
		operatortest.MustStart(cp, operator.Options{Providers: provider.NewRegistry(New())})
	}))
}
