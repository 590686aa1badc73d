package fetch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// countingProvider counts clients built and reads made; reads block until release closes.
type countingProvider struct {
	clients, reads atomic.Int32
	release        chan struct{}
}

func (p *countingProvider) Name() string { return "fake" }
func (p *countingProvider) Capabilities() esv1.SecretStoreCapabilities {
	return esv1.SecretStoreReadOnly
}
func (p *countingProvider) ValidateStore(esv1.GenericStore) error { return nil }
func (p *countingProvider) NewClient(context.Context, esv1.GenericStore, client.Client, string) (provider.Client, error) {
	p.clients.Add(1)
	return countingClient{p}, nil
}

type countingClient struct{ p *countingProvider }

func (c countingClient) GetSecret(ctx context.Context, _ esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	c.p.reads.Add(1)
	if c.p.release != nil {
		select {
		case <-c.p.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return []byte("v"), nil
}

func (c countingClient) GetSecretMap(context.Context, esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	c.p.reads.Add(1)
	return map[string][]byte{"k": []byte("v")}, nil
}

func (c countingClient) GetAllSecrets(context.Context, esv1.ExternalSecretFind) (map[string][]byte, error) {
	return nil, provider.ErrFindNotSupported
}
func (countingClient) Validate(context.Context) (esv1.ValidationResult, error) {
	return esv1.ValidationResultReady, nil
}
func (countingClient) Close(context.Context) error { return nil }

func store(generation int64) *esv1.SecretStore {
	return &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", UID: "uid", Generation: generation},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{}}}}
}

func TestConcurrentReadsAreCoalesced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &countingProvider{release: make(chan struct{})}
		f := New(provider.NewRegistry(p), nil, Options{})
		src := Source{Store: store(1), Namespace: "ns"}
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if v, err := f.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: "k"}); err != nil || string(v) != "v" {
					t.Errorf("GetSecret = %q, %v", v, err)
				}
			})
		}
		synctest.Wait() // every caller has joined the flight
		close(p.release)
		wg.Wait()
		if n := p.reads.Load(); n != 1 {
			t.Fatalf("20 concurrent reads of one key cost %d provider reads, want 1", n)
		}
		if n := p.clients.Load(); n != 1 {
			t.Fatalf("built %d clients, want 1", n)
		}
	})
}

// TestCancelledCallerDoesNotFailOthers: the caller that started a shared read gives up;
// the callers that joined it still get the value, from the one provider read.
func TestCancelledCallerDoesNotFailOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &countingProvider{release: make(chan struct{})}
		f := New(provider.NewRegistry(p), nil, Options{})
		src := Source{Store: store(1), Namespace: "ns"}
		ref := esv1.ExternalSecretDataRemoteRef{Key: "k"}
		first, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := f.GetSecret(first, src, ref); !errors.Is(err, context.Canceled) {
				t.Errorf("cancelled caller: %v, want context.Canceled", err)
			}
		})
		synctest.Wait() // the first caller's read is in flight
		for range 3 {
			wg.Go(func() {
				if v, err := f.GetSecret(context.Background(), src, ref); err != nil || string(v) != "v" {
					t.Errorf("joined caller: %q, %v; want the value", v, err)
				}
			})
		}
		synctest.Wait()
		cancel()
		synctest.Wait()
		close(p.release)
		wg.Wait()
		if n := p.reads.Load(); n != 1 {
			t.Fatalf("%d provider reads, want 1", n)
		}
	})
}

func TestCacheAgeAndClientReuse(t *testing.T) {
	now := time.Unix(0, 0)
	p := &countingProvider{}
	f := New(provider.NewRegistry(p), nil, Options{Now: func() time.Time { return now }, ClientTTL: time.Hour})
	ctx := context.Background()
	ref := esv1.ExternalSecretDataRemoteRef{Key: "k"}
	read := func(src Source) {
		t.Helper()
		if _, err := f.GetSecret(ctx, src, ref); err != nil {
			t.Fatal(err)
		}
	}
	cached := Source{Store: store(1), Namespace: "ns", MaxAge: time.Minute}
	read(cached)
	read(cached)
	if n := p.reads.Load(); n != 1 {
		t.Fatalf("a read within MaxAge went to the provider: %d reads", n)
	}
	now = now.Add(2 * time.Minute)
	read(cached)
	if n := p.reads.Load(); n != 2 {
		t.Fatalf("a read past MaxAge was served from cache: %d reads", n)
	}
	read(Source{Store: store(1), Namespace: "ns"}) // MaxAge 0: always the provider
	if n := p.reads.Load(); n != 3 {
		t.Fatalf("a read with MaxAge 0 was served from cache: %d reads", n)
	}
	if n := p.clients.Load(); n != 1 {
		t.Fatalf("built %d clients for one store generation, want 1", n)
	}
	read(Source{Store: store(2), Namespace: "ns"})
	if n := p.clients.Load(); n != 2 {
		t.Fatalf("a new store generation reused the old client (%d clients)", n)
	}
	now = now.Add(2 * time.Hour)
	read(Source{Store: store(2), Namespace: "ns"})
	if n := p.clients.Load(); n != 3 {
		t.Fatalf("a client older than its TTL was reused (%d clients)", n)
	}
}
