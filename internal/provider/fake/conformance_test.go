package fake

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

// TestConformance runs the provider suite against the fake provider, whose backend is the
// store's own spec: seeding adds data entries, and each check builds its store from them.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	var data []esv1.FakeProviderData
	versions := map[string]int{}
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Namespace: "default",
		Store: func(*testing.T) esv1.GenericStore {
			mu.Lock()
			defer mu.Unlock()
			return &esv1.SecretStore{
				ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "fake"},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{
					Data: append([]esv1.FakeProviderData(nil), data...),
				}}},
			}
		},
		// Each write is kept under its version, and the latest also without one, which is
		// what a read without a version gets.
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			versions[key]++
			version := fmt.Sprintf("v%d", versions[key])
			kept := data[:0]
			for _, d := range data {
				if d.Key != key || d.Version != "" {
					kept = append(kept, d)
				}
			}
			data = append(kept,
				esv1.FakeProviderData{Key: key, Value: string(value), Version: version},
				esv1.FakeProviderData{Key: key, Value: string(value)})
			return version
		},
		Versions: true,
		Find:     conformance.FindByName,
	})
}
