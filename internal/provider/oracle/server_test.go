package oracle

import (
	"crypto/x509"
	"testing"

	"github.com/ferryhq/ferry/internal/provider/oracle/oraclefake"
)

// The in-process OCI's vault, compartment, key and instance tenancy, and the name of its
// instance metadata service among its servers.
const (
	fakeKey             = oraclefake.Key
	fakeVault           = oraclefake.Vault
	fakeCompartment     = oraclefake.Compartment
	fakeInstanceTenancy = oraclefake.InstanceTenancy
	metadataService     = oraclefake.MetadataService
)

// startOCI starts the OCI stand-in for one test.
func startOCI(t *testing.T) *oraclefake.Server {
	t.Helper()
	f, err := oraclefake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// secretOf is a copy of the secret name the stand-in holds; the zero Secret when none.
func secretOf(f *oraclefake.Server, name string) oraclefake.Secret {
	s, _ := f.Secret(name)
	return s
}

// instanceLeaf and instanceIntermediate are the instance's certificate and its issuer.
func instanceLeaf(f *oraclefake.Server) *x509.Certificate {
	leaf, _, _ := f.Instance()
	return leaf
}

func instanceIntermediate(f *oraclefake.Server) *x509.Certificate {
	_, intermediate, _ := f.Instance()
	return intermediate
}
