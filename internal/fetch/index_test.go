package fetch

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

func reader(i int) Reader {
	return Reader{Kind: "ExternalSecret", Namespace: "ns", Name: fmt.Sprintf("es%d", i)}
}

func TestAChangeReachesTheObjectsThatReadTheKeyAndCostsOneRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newBatchProvider(3)
		f, clk := newBatchFetcher(p)
		ctx := context.Background()
		get := func(i int, key string) string {
			src := Source{Store: store(1), Namespace: "ns", MaxAge: time.Hour, Reader: reader(i)}
			v, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: key, Property: "pass"})
			if err != nil {
				t.Errorf("GetSecret(%s): %v", key, err)
			}
			return string(v)
		}
		// 50 objects read k0, 50 read k1.
		for i := range 100 {
			get(i, fmt.Sprintf("k%d", i%2))
		}
		readsBefore, _, _ := p.counts()

		p.set("k0", `{"pass":"rotated"}`)
		clk.Add(time.Second)
		got := f.Changed(StoreIDOf(store(1)), []string{"k0", "nobody-reads-this"})
		if len(got) != 50 {
			t.Fatalf("Changed(k0) returned %d objects, want the 50 that read k0", len(got))
		}
		for _, r := range got {
			var n int
			_, _ = fmt.Sscanf(r.Name, "es%d", &n)
			if n%2 != 0 {
				t.Fatalf("Changed(k0) returned %v, which reads k1", r)
			}
		}
		// Every object of the change syncs at once, each accepting an hour-old value.
		var wg sync.WaitGroup
		for _, i := range []int{0, 2, 4, 6, 8, 10} {
			wg.Go(func() {
				if v := get(i, "k0"); v != "rotated" {
					t.Errorf("object %d read %q after the change, want the new value", i, v)
				}
			})
		}
		wg.Wait()
		if v := get(1, "k1"); v != "p1" {
			t.Errorf("k1 = %q", v)
		}
		reads, _, checks := p.counts()
		if reads-readsBefore != 1 || checks != 0 {
			t.Errorf("a change read by 6 objects cost %d reads and %d version checks, want 1 read and no check", reads-readsBefore, checks)
		}
	})
}

func TestAChangeIsNotServedByAReadThatStartedBeforeIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newBatchProvider(1)
		f, clk := newBatchFetcher(p)
		ctx := context.Background()
		src := Source{Store: store(1), Namespace: "ns", MaxAge: time.Hour, Reader: reader(0)}
		ref := esv1.ExternalSecretDataRemoteRef{Key: "k0", Property: "pass"}
		if _, err := f.GetSecret(ctx, src, ref); err != nil {
			t.Fatal(err)
		}
		// A read in flight (forced) when the change is reported.
		p.hold = make(chan struct{})
		go func() { _, _ = f.GetSecret(ctx, Source{Store: store(1), Namespace: "ns"}, ref) }()
		synctest.Wait()
		clk.Add(time.Second)
		p.mu.Lock()
		p.values["k0"], p.versions["k0"] = `{"pass":"new"}`, 2
		p.mu.Unlock()
		f.Changed(StoreIDOf(store(1)), []string{"k0"})
		done := make(chan string)
		go func() {
			v, _ := f.GetSecret(ctx, src, ref)
			done <- string(v)
		}()
		synctest.Wait()
		close(p.hold)
		if v := <-done; v != "new" {
			t.Fatalf("read after the change = %q, want the value read after it", v)
		}
	})
}

func TestChangedKnowsOnlyWhatIsStillRead(t *testing.T) {
	p := newBatchProvider(2)
	f, clk := newBatchFetcher(p)
	ctx := context.Background()
	id := StoreIDOf(store(1))
	src := Source{Store: store(1), Namespace: "ns", MaxAge: time.Hour, Reader: reader(0)}
	if _, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: "k0"}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	syncStart := clk.Now()
	if _, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: "k1"}); err != nil {
		t.Fatal(err)
	}
	// The object's spec now reads k1 only: its sync prunes k0.
	f.Prune(reader(0), syncStart)
	if got := f.Changed(id, []string{"k0"}); len(got) != 0 {
		t.Errorf("a key the object no longer reads still routes to it: %v", got)
	}
	if got := f.Changed(id, []string{"k1"}); len(got) != 1 {
		t.Errorf("Changed(k1) = %v, want the object", got)
	}
	if got := f.Changed(StoreID{Kind: esv1.SecretStoreKind, Namespace: "other", Name: "s"}, []string{"k1"}); len(got) != 0 {
		t.Errorf("a store of the same name in another namespace routed to the object: %v", got)
	}
	f.ForgetReader(reader(0))
	if got := f.ReadersOf(id); len(got) != 0 {
		t.Errorf("a forgotten object is still indexed: %v", got)
	}
}

func TestAChangeBypassesTheValueCacheOfOtherProviders(t *testing.T) {
	now := time.Unix(0, 0)
	p := &countingProvider{}
	f := New(provider.NewRegistry(p), nil, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	src := Source{Store: store(1), Namespace: "ns", MaxAge: time.Hour, Reader: reader(0)}
	ref := esv1.ExternalSecretDataRemoteRef{Key: "k"}
	for range 2 {
		if _, err := f.GetSecret(ctx, src, ref); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Second)
	f.Changed(StoreIDOf(store(1)), []string{"k"})
	for range 2 {
		if _, err := f.GetSecret(ctx, src, ref); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.reads.Load(); n != 2 {
		t.Fatalf("%d provider reads, want 2: one before the change, one after", n)
	}
}

// TestOnlyTheStoresAskedForAreIndexed: the reads of a store no change can be reported for
// leave nothing in the index (it would cost memory per object and key for nothing); the
// same reads of a store the filter admits are routed.
func TestOnlyTheStoresAskedForAreIndexed(t *testing.T) {
	p := newBatchProvider(2)
	clk := &clock{now: time.Unix(1_000_000, 0)}
	f := New(provider.NewRegistry(p), nil, Options{Now: clk.Now,
		Indexed: func(s esv1.GenericStore) bool { return s.GetAnnotations()["feed"] == "yes" }})
	plain, fed := store(1), store(1)
	fed.Name = "fed"
	fed.Annotations = map[string]string{"feed": "yes"}
	for _, s := range []*esv1.SecretStore{plain, fed} {
		src := Source{Store: s, Namespace: "ns", MaxAge: time.Hour, Reader: reader(0)}
		if _, err := f.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: "k0", Property: "pass"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.ReadersOf(StoreIDOf(plain)); len(got) != 0 {
		t.Errorf("a store the filter refuses was indexed: readers %v", got)
	}
	if got := f.Changed(StoreIDOf(plain), []string{"k0"}); len(got) != 0 {
		t.Errorf("Changed on a store the filter refuses reached %v", got)
	}
	if got := f.Changed(StoreIDOf(fed), []string{"k0"}); len(got) != 1 || got[0] != reader(0) {
		t.Errorf("Changed on the indexed store reached %v, want [%v]", got, reader(0))
	}
	f.index.mu.Lock()
	defer f.index.mu.Unlock()
	if len(f.index.byKey) != 1 || len(f.index.byReader[reader(0)]) != 1 {
		t.Errorf("index holds %d stores and %d entries of the reader, want 1 and 1", len(f.index.byKey), len(f.index.byReader[reader(0)]))
	}
}
