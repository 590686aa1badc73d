package fetch

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// TestAKeyIsReadOnceWhileCachedUnderRealScheduling asks for a few keys from many goroutines
// at once, over and over, with reads that return at once: a caller that misses the cache
// just as a read of its key completes must take that read's result, not read again.
func TestAKeyIsReadOnceWhileCachedUnderRealScheduling(t *testing.T) {
	const rounds, callers, keys = 300, 24, 3
	t.Run("documents", func(t *testing.T) {
		for round := range rounds {
			p := newBatchProvider(keys)
			f := New(provider.NewRegistry(p), nil, Options{})
			src := Source{Store: store(1), Namespace: "ns", MaxAge: time.Hour}
			askAll(t, callers, keys, func(key string) error {
				_, err := f.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: key, Property: "user"})
				return err
			})
			if _, keysRead, _ := p.counts(); keysRead != keys {
				t.Fatalf("round %d: %d callers over %d keys read %d keys, want each once", round, callers, keys, keysRead)
			}
		}
	})
	t.Run("single reads", func(t *testing.T) {
		for round := range rounds {
			p := &countingProvider{}
			f := New(provider.NewRegistry(p), nil, Options{})
			src := Source{Store: store(1), Namespace: "ns", MaxAge: time.Hour}
			askAll(t, callers, keys, func(key string) error {
				_, err := f.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: key})
				return err
			})
			if n := p.reads.Load(); n != keys {
				t.Fatalf("round %d: %d callers over %d keys made %d reads, want one per key", round, callers, keys, n)
			}
		}
	})
}

// askAll runs ask for callers goroutines spread over keys, released together.
func askAll(t *testing.T, callers, keys int, ask func(key string) error) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			if err := ask(fmt.Sprintf("k%d", i%keys)); err != nil {
				t.Errorf("read k%d: %v", i%keys, err)
			}
		})
	}
	close(start)
	wg.Wait()
}
