package passbolt

import (
	"os"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator/operatortest"
)

// k8s is the client of the package's control plane, on which a Ferry operator serving the
// Passbolt provider runs.
var k8s client.Client

func TestMain(m *testing.M) {
	os.Exit(operatortest.RunProviders(m, &k8s, New()))
}
