package azurekv

import (
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator/operatortest"
)

// The package's control plane, where a Ferry operator serving only this provider runs
// against operatorAzure, an in-process Key Vault, Entra ID and Storage queue
// (operator_test.go). The other tests start fakes of their own.
var (
	k8s           client.Client
	operatorAzure *fakeAzure
)

func TestMain(m *testing.M) {
	operatorAzure = serveAzure()
	code := operatortest.RunProviders(m, &k8s, testProvider(operatorAzure))
	operatorAzure.srv.Close()
	os.Exit(code)
}
