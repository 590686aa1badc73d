package oracle

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strconv"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/oracle/oraclefake"
)

const (
	testTenancy     = "ocid1.tenancy.oc1..faketenancy"
	testUser        = "ocid1.user.oc1..fakeuser"
	testFingerprint = "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34"
	testKeyID       = testTenancy + "/" + testUser + "/" + testFingerprint
)

var (
	keysOnce sync.Once
	testKeys [2]*rsa.PrivateKey
)

// apiKey returns one of two RSA keys made once for the package's tests.
func apiKey(t *testing.T, i int) *rsa.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		for n := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys[n] = k
		}
	})
	return testKeys[i]
}

// pkcs1PEM is the key as the OCI console's "Download private key" gives older keys.
func pkcs1PEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

func oracleStore(spec esv1.OracleProvider) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "oci", Namespace: "apps"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Oracle: &spec}},
	}
}

// userStore is a store that authenticates as the test user with keyPEM, whose Secret is in
// the returned client.
func userStore(keyPEM []byte) (esv1.GenericStore, client.Client) {
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "oci-key", Namespace: "apps"},
		Data: map[string][]byte{"privateKey": keyPEM, "fingerprint": []byte(testFingerprint + "\n")}}
	store := oracleStore(esv1.OracleProvider{
		Region: "us-ashburn-1", Vault: fakeVault, Compartment: fakeCompartment, EncryptionKey: fakeKey, PrincipalType: "UserPrincipal",
		Auth: &esv1.OracleAuth{Tenancy: testTenancy, User: testUser, SecretRef: esv1.OracleSecretRef{
			PrivateKey:  esv1.SecretKeySelector{Name: "oci-key", Key: "privateKey"},
			Fingerprint: esv1.SecretKeySelector{Name: "oci-key", Key: "fingerprint"},
		}},
	})
	return store, fake.NewClientBuilder().WithObjects(creds).Build()
}

// newProvider returns the provider pointed at f.
func newProvider(f *oraclefake.Server) *Provider {
	p := New()
	p.endpoint = f.Endpoint
	return p
}

// TestConformance runs the provider suite against the in-process OCI, which verifies every
// request's signature. Secrets hold the JSON object of their pairs; versions are OCI's
// version numbers; find lists by name and freeform tags.
func TestConformance(t *testing.T) {
	f := startOCI(t)
	key := apiKey(t, 0)
	f.AddKey(testKeyID, &key.PublicKey)
	store, kube := userStore(pkcs1PEM(key))
	conformance.Run(t, conformance.Backend{
		Provider:  newProvider(f),
		Kube:      kube,
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			raw, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			return strconv.Itoa(f.Put(key, raw, s.Tags))
		},
		Delete:   func(_ *testing.T, key string) { f.Remove(key) },
		Versions: true,
		Find:     conformance.FindByNameAndTags,
	})
	if f.Refusals() != 0 {
		t.Errorf("the server refused %d signatures, want none", f.Refusals())
	}
}
