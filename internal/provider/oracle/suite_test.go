package oracle

import (
	"os"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider/oracle/oraclefake"
)

// k8s is the client of the package's control plane, on which a Ferry operator serving the
// OCI Vault provider runs.
var k8s client.Client

// operatorOCI is the in-process OCI the operator's provider calls, and operatorProxymux
// its OKE workload identity endpoint; the test that runs the operator starts them.
// operatorSADir is the operator's ServiceAccount folder, where that test puts the
// endpoint's CA.
var (
	operatorOCI      atomic.Pointer[oraclefake.Server]
	operatorProxymux atomic.Pointer[string]
	operatorSADir    string
)

func TestMain(m *testing.M) {
	p := New()
	p.endpoint = func(service, region string) string { return operatorOCI.Load().Endpoint(service, region) }
	p.metadata = func() string { return operatorOCI.Load().Servers[metadataService].URL + "/opc/v2" }
	p.proxymux = func() (string, error) { return *operatorProxymux.Load(), nil }
	dir, err := os.MkdirTemp("", "oracle-serviceaccount-")
	if err != nil {
		panic(err)
	}
	operatorSADir, p.serviceAccountDir = dir, dir
	code := operatortest.RunProviders(m, &k8s, p)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
