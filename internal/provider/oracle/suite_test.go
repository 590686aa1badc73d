package oracle

import (
	"os"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator/operatortest"
)

// k8s is the client of the package's control plane, on which a Ferry operator serving the
// OCI Vault provider runs.
var k8s client.Client

// operatorOCI is the in-process OCI the operator's provider calls; the test that runs the
// operator starts it.
var operatorOCI atomic.Pointer[fakeOCI]

func TestMain(m *testing.M) {
	p := New()
	p.endpoint = func(service, region string) string { return operatorOCI.Load().endpoint(service, region) }
	p.metadata = func() string { return operatorOCI.Load().servers[metadataService].URL + "/opc/v2" }
	os.Exit(operatortest.RunProviders(m, &k8s, p))
}
