package scaleway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
)

// TestManyExternalSecretsShareReads reads 4 secrets for 40 ExternalSecrets on one store
// through the fetcher, as one refresh cycle does, and counts the calls at the server: one
// lookup and one access per secret per cycle, whatever the number of ExternalSecrets.
func TestManyExternalSecretsShareReads(t *testing.T) {
	f := startScaleway(t)
	for i := range 4 {
		f.Put("/", fmt.Sprintf("svc-%d", i), fmt.Appendf(nil, `{"token":"t-%d"}`, i))
	}
	now := time.Now()
	var clock sync.Mutex
	fetcher := fetch.New(provider.NewRegistry(New()), kubeWithKey(testSecretKey),
		fetch.Options{Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	src := fetch.Source{Store: scalewayStore(f.URL), Namespace: "apps", MaxAge: time.Minute}
	cycle := func() {
		var wg sync.WaitGroup
		for es := range 40 {
			wg.Go(func() {
				key := es % 4
				got, err := fetcher.GetSecret(context.Background(), src,
					esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("name:svc-%d", key), Property: "token"})
				if err != nil || string(got) != fmt.Sprintf("t-%d", key) {
					t.Errorf("ExternalSecret %d read %q, %v", es, got, err)
				}
			})
		}
		wg.Wait()
	}
	cycle()
	if l, a := f.Count(listRoute), f.Count(accessRoute); l != 4 || a != 4 {
		t.Fatalf("40 ExternalSecrets over 4 secrets made %d lookups and %d accesses, want 4 and 4", l, a)
	}
	clock.Lock()
	now = now.Add(2 * time.Minute)
	clock.Unlock()
	cycle()
	if l, a := f.Count(listRoute), f.Count(accessRoute); l != 8 || a != 8 {
		t.Fatalf("after the next cycle: %d lookups and %d accesses in all, want 8 and 8", l, a)
	}
	f.Remove("/", "svc-0")
	clock.Lock()
	now = now.Add(2 * time.Minute)
	clock.Unlock()
	if _, err := fetcher.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: "name:svc-0"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a deleted secret = %v, want ErrNotFound", err)
	}
}
