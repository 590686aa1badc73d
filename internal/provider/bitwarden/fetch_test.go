package bitwarden

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
)

// TestManyExternalSecretsShareReads reads 4 secrets by name for 40 ExternalSecrets on one
// store through the fetcher, as one refresh cycle does, and counts the calls at the SDK
// server: the fetcher's batches (the first read alone, the rest together) each cost one
// listing and one /secrets-by-ids, whatever the number of ExternalSecrets and names.
func TestManyExternalSecretsShareReads(t *testing.T) {
	f := startSDKServer(t)
	for i := range 4 {
		f.Put(testProject, fmt.Sprintf("svc-%d", i), fmt.Sprintf(`{"token":"t-%d"}`, i), "")
	}
	fetcher := fetch.New(provider.NewRegistry(New()), kubeWithToken(testToken), fetch.Options{})
	src := fetch.Source{Store: bitwardenStore(f.URL, string(f.CertificatePEM())), Namespace: "apps", MaxAge: time.Minute}
	var wg sync.WaitGroup
	for es := range 40 {
		wg.Go(func() {
			key := es % 4
			got, err := fetcher.GetSecret(context.Background(), src,
				esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("svc-%d", key), Property: "token"})
			if err != nil || string(got) != fmt.Sprintf("t-%d", key) {
				t.Errorf("ExternalSecret %d read %q, %v", es, got, err)
			}
		})
	}
	wg.Wait()
	l, b, g := f.Count(listRoute), f.Count("GET /secrets-by-ids"), f.Count(getRoute)
	if l > 2 || b != l || g != 0 {
		t.Errorf("40 ExternalSecrets over 4 secrets made %d listings, %d batch reads and %d single reads; want at most 2, as many, and 0", l, b, g)
	}
}
