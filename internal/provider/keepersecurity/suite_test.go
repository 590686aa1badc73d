package keepersecurity

import (
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator/operatortest"
)

// k8s is the client of the package's control plane, on which a Ferry operator serving the
// Keeper provider runs.
var k8s client.Client

// served is the provider the operator serves; TestThroughTheOperator points it at its
// in-process server before it creates a store.
var served = New()

func TestMain(m *testing.M) {
	os.Exit(operatortest.RunProviders(m, &k8s, served))
}
