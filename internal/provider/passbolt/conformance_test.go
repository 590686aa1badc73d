package passbolt

import (
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

const testPassphrase = "correct horse battery staple"

// testUser is a Passbolt user's key pair; the tests share it, as key generation costs.
var testUser = sync.OnceValue(func() *openpgp.Entity {
	e, err := openpgp.NewEntity("ferry", "", "ferry@example.com", nil)
	if err != nil {
		panic(err)
	}
	return e
})

// pbStore is a store against f, trusting its certificate through caBundle.
func pbStore(f *fakePassbolt) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "passbolt", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Passbolt: &esv1.PassboltProvider{
			Host:     f.URL,
			CABundle: f.caPEM(),
			Auth: esv1.PassboltAuth{
				PasswordSecretRef:   esv1.SecretKeySelector{Name: "passbolt", Key: "password"},
				PrivateKeySecretRef: esv1.SecretKeySelector{Name: "passbolt", Key: "privateKey"},
			},
		}}},
	}
}

// credsKube holds the user's armored private key and its passphrase.
func credsKube(t testing.TB, privateKey []byte, passphrase string) client.Client {
	t.Helper()
	return fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "passbolt", Namespace: "apps"},
		Data: map[string][]byte{"privateKey": privateKey, "password": []byte(passphrase)}}).Build()
}

// seeded maps the suite's keys to the IDs of the resources seeded for them.
type seeded struct {
	mu  sync.Mutex
	ids map[string]string
}

func (s *seeded) set(key, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids[key] = id
}

func (s *seeded) id(key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.ids[key]; ok {
		return id
	}
	return newUUID()
}

func toEntry(s conformance.Secret) entry {
	return entry{Name: s.Data["name"], Username: s.Data["username"], Password: s.Data["password"], URI: s.Data["uri"], Description: s.Data["description"]}
}

// runConformance runs the provider suite against f with the resources add makes. Resource
// IDs are the server's, so the suite reads a seeded key under the ID its Seed got; find
// keys resources by ID, as ESO does, which this package's tests cover.
func runConformance(t *testing.T, f *fakePassbolt, add func(conformance.Secret) string) {
	ids := &seeded{ids: map[string]string{}}
	store := pbStore(f)
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      credsKube(t, armoredPrivate(t, testUser(), testPassphrase), testPassphrase),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return store },
		Seed: func(_ *testing.T, key string, s conformance.Secret) string {
			ids.set(key, add(s))
			return ""
		},
		Delete:    func(_ *testing.T, key string) { f.Remove(ids.id(key)) },
		Find:      conformance.FindOwn,
		Logins:    f.Logins,
		Fields:    properties,
		RemoteKey: ids.id,
	})
}

// TestConformanceV4 runs the suite on v4 resources (password-and-description): name,
// username and uri in clear, password and description in the secret.
func TestConformanceV4(t *testing.T) {
	f := startPassbolt(t, testUser())
	runConformance(t, f, func(s conformance.Secret) string { return f.addV4(t, "password-and-description", toEntry(s)) })
}

// TestConformanceV5 runs the suite on v5 resources whose metadata is encrypted to the
// organisation's shared metadata key.
func TestConformanceV5(t *testing.T) {
	f := startPassbolt(t, testUser())
	f.withMetadataKey(t)
	runConformance(t, f, func(s conformance.Secret) string { return f.addV5(t, toEntry(s), true) })
}
