package pulumi

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

// TestManyExternalSecretsShareReads reads 4 paths for 40 ExternalSecrets on one store
// through the fetcher, as one refresh wave does, and counts the calls at the ESC API: one
// open of the environment and one read per path.
func TestManyExternalSecretsShareReads(t *testing.T) {
	f := startESC(t)
	for i := range 4 {
		f.Set(fmt.Sprintf("svc%d", i), map[string]any{"token": fmt.Sprintf("t-%d", i)})
	}
	fetcher := fetch.New(provider.NewRegistry(New()), kubeWithToken(testToken), fetch.Options{})
	src := fetch.Source{Store: pulumiStore(f.APIURL()), Namespace: "apps", MaxAge: time.Minute}
	var wg sync.WaitGroup
	for es := range 40 {
		wg.Go(func() {
			key := es % 4
			got, err := fetcher.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("svc%d.token", key)})
			if err != nil || string(got) != fmt.Sprintf("t-%d", key) {
				t.Errorf("ExternalSecret %d read %q, %v", es, got, err)
			}
		})
	}
	wg.Wait()
	if o, r := f.Count("POST open"), f.Count("GET open/*"); o != 1 || r != 4 {
		t.Errorf("40 ExternalSecrets over 4 paths made %d opens and %d reads, want 1 and 4", o, r)
	}
}
