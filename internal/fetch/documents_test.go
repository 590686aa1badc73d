package fetch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// batchProvider is a provider whose clients read documents in batches and detect changes by
// version. It counts calls and the keys each call carried; a read blocks while hold is set.
type batchProvider struct {
	sharedAcrossNamespaces bool

	mu       sync.Mutex
	values   map[string]string // key → JSON value; version is its generation
	versions map[string]int
	reads    [][]string // keys of each ReadDocuments call
	checks   [][]string // keys of each Versions call
	clients  int
	hold     chan struct{}
}

func newBatchProvider(keys int) *batchProvider {
	p := &batchProvider{values: map[string]string{}, versions: map[string]int{}}
	for i := range keys {
		p.set(fmt.Sprintf("k%d", i), fmt.Sprintf(`{"user":"u%d","pass":"p%d"}`, i, i))
	}
	return p
}

func (p *batchProvider) set(key, value string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.values[key] = value
	p.versions[key]++
}

func (p *batchProvider) counts() (reads, keysRead, checks int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.reads {
		keysRead += len(r)
	}
	return len(p.reads), keysRead, len(p.checks)
}

func (p *batchProvider) Name() string { return "fake" }
func (p *batchProvider) Capabilities() esv1.SecretStoreCapabilities {
	return esv1.SecretStoreReadOnly
}
func (p *batchProvider) ValidateStore(esv1.GenericStore) error { return nil }
func (p *batchProvider) NewClient(context.Context, esv1.GenericStore, client.Client, string) (provider.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clients++
	return batchClient{p}, nil
}
func (p *batchProvider) SameForEveryNamespace(esv1.GenericStore) bool {
	return p.sharedAcrossNamespaces
}

type batchClient struct{ p *batchProvider }

func (c batchClient) DocumentKey(ref esv1.ExternalSecretDataRemoteRef) (string, bool) {
	return ref.Key, ref.Version == ""
}

func (c batchClient) ReadDocuments(_ context.Context, keys []string) (map[string]provider.Document, error) {
	c.p.mu.Lock()
	c.p.reads = append(c.p.reads, slices.Clone(keys))
	hold := c.p.hold
	c.p.mu.Unlock()
	if hold != nil {
		<-hold
	}
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	out := map[string]provider.Document{}
	for _, k := range keys {
		switch v, ok := c.p.values[k]; {
		case k == "broken":
			out[k] = provider.Document{Err: errors.New("access denied")}
		case !ok:
			out[k] = provider.Document{Err: provider.NotFound(k)}
		default:
			out[k] = provider.Document{Value: []byte(v), Version: fmt.Sprint(c.p.versions[k])}
		}
	}
	return out, nil
}

func (c batchClient) Versions(_ context.Context, keys []string) (map[string]string, error) {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.p.checks = append(c.p.checks, slices.Clone(keys))
	out := map[string]string{}
	for k, v := range c.p.versions { // a listing: every key, asked or not
		out[k] = fmt.Sprint(v)
	}
	return out, nil
}

func (c batchClient) SecretFromDocument(doc provider.Document, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if doc.Err != nil {
		return nil, doc.Err
	}
	if ref.Property == "" {
		return doc.Value, nil
	}
	return property.Get(doc.Value, ref.Property)
}

func (c batchClient) SecretMapFromDocument(doc provider.Document, _ esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	if doc.Err != nil {
		return nil, doc.Err
	}
	return property.Spread(doc.Value)
}

func (c batchClient) GetSecret(context.Context, esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	return nil, errors.New("GetSecret must not be called for refs served from documents")
}
func (c batchClient) GetSecretMap(context.Context, esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return nil, errors.New("GetSecretMap must not be called for refs served from documents")
}
func (c batchClient) GetAllSecrets(context.Context, esv1.ExternalSecretFind) (map[string][]byte, error) {
	return nil, provider.ErrFindNotSupported
}
func (batchClient) Validate(context.Context) (esv1.ValidationResult, error) {
	return esv1.ValidationResultReady, nil
}
func (batchClient) Close(context.Context) error { return nil }

// clock is a settable clock, safe for the fetcher's goroutines.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newBatchFetcher(p *batchProvider) (*Fetcher, *clock) {
	clk := &clock{now: time.Unix(1_000_000, 0)}
	return New(provider.NewRegistry(p), nil, Options{Now: clk.Now}), clk
}

func clusterStore() *esv1.ClusterSecretStore {
	return &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "cs", UID: "cs-uid", Generation: 1},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{}}}}
}

func TestManyObjectsOverFewKeysCostOneReadPerKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newBatchProvider(20)
		p.hold = make(chan struct{})
		f, _ := newBatchFetcher(p)
		ctx := context.Background()
		var wg sync.WaitGroup
		// 200 objects over 20 keys, selecting different properties or spreading the whole value.
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				src := Source{Store: store(1), Namespace: "ns", MaxAge: time.Minute}
				key := fmt.Sprintf("k%d", i%20)
				switch i % 3 {
				case 0:
					v, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: key, Property: "pass"})
					if err != nil || string(v) != fmt.Sprintf("p%d", i%20) {
						t.Errorf("GetSecret(%s, pass) = %q, %v", key, v, err)
					}
				case 1:
					v, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: key, Property: "user"})
					if err != nil || string(v) != fmt.Sprintf("u%d", i%20) {
						t.Errorf("GetSecret(%s, user) = %q, %v", key, v, err)
					}
				default:
					m, err := f.GetSecretMap(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: key})
					if err != nil || len(m) != 2 {
						t.Errorf("GetSecretMap(%s) = %v, %v", key, m, err)
					}
				}
			}()
		}
		// The first read leaves alone; every other key waits for it and leaves in the next.
		synctest.Wait()
		close(p.hold)
		wg.Wait()
		reads, keysRead, _ := p.counts()
		if keysRead != 20 {
			t.Errorf("200 objects over 20 keys read %d keys, want each of the 20 once", keysRead)
		}
		if reads != 2 {
			t.Errorf("made %d read calls, want 2 (one alone, then one batch of the 19 keys asked meanwhile)", reads)
		}
		if p.clients != 1 {
			t.Errorf("built %d clients, want 1", p.clients)
		}
	})
}

func TestRefreshConfirmsByVersionAndRereadsOnlyChanges(t *testing.T) {
	p := newBatchProvider(5)
	f, clk := newBatchFetcher(p)
	ctx := context.Background()
	src := Source{Store: store(1), Namespace: "ns", MaxAge: time.Minute}
	get := func(key string) string {
		t.Helper()
		v, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: key, Property: "pass"})
		if err != nil {
			t.Fatalf("GetSecret(%s): %v", key, err)
		}
		return string(v)
	}
	for i := range 5 {
		get(fmt.Sprintf("k%d", i))
	}
	reads, _, checks := p.counts()
	if reads != 5 || checks != 0 {
		t.Fatalf("first reads: %d read calls and %d checks, want 5 and 0", reads, checks)
	}

	// A refresh window later: one check confirms all five; nothing is read.
	clk.Add(2 * time.Minute)
	for i := range 5 {
		get(fmt.Sprintf("k%d", i))
	}
	reads, _, checks = p.counts()
	if reads != 5 || checks != 1 {
		t.Fatalf("refresh of unchanged keys: %d read calls and %d checks, want no new read and 1 check", reads, checks)
	}
	if got := p.checks[0]; len(got) != 5 {
		t.Fatalf("the check asked for %v, want every cached key", got)
	}

	// One value changes: the next check finds it and reads only that key, at once.
	p.set("k3", `{"pass":"rotated"}`)
	clk.Add(2 * time.Minute)
	get("k0")
	if v := get("k3"); v != "rotated" {
		t.Fatalf("after rotation GetSecret(k3) = %q, want the new value", v)
	}
	for _, k := range []string{"k1", "k2", "k4"} {
		get(k)
	}
	reads, keysRead, checks := p.counts()
	if checks != 2 || reads != 6 || keysRead != 6 || !slices.Equal(p.reads[5], []string{"k3"}) {
		t.Fatalf("refresh after one change: %d checks, read calls %v; want 2 checks and one more read of [k3]", checks, p.reads)
	}
}

// A fresh process is told what its in-sync objects read (Expect); as they come due one by
// one, the first uncached read takes every expected key along, and the rest are cached.
func TestExpectedKeysJoinTheFirstReadOfTheStore(t *testing.T) {
	p := newBatchProvider(30)
	f, _ := newBatchFetcher(p)
	ctx := context.Background()
	src := Source{Store: store(1), Namespace: "ns", MaxAge: time.Minute}
	for i := range 30 {
		f.Expect(ctx, src, &esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("k%d", i), Property: "pass"})
	}
	if reads, _, _ := p.counts(); reads != 0 {
		t.Fatalf("Expect read the provider (%d read calls)", reads)
	}
	for i := range 30 {
		v, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("k%d", i), Property: "pass"})
		if err != nil || string(v) != fmt.Sprintf("p%d", i) {
			t.Fatalf("GetSecret(k%d) = %q, %v", i, v, err)
		}
	}
	reads, keysRead, _ := p.counts()
	if reads != 1 || keysRead != 30 {
		t.Fatalf("30 expected keys asked one by one: %d read calls over %d keys, want 1 over 30", reads, keysRead)
	}

	// A cached key is refreshed alone: an expected key waits for its own asker.
	p.set("k30", `{"pass":"p30"}`)
	f.Expect(ctx, src, &esv1.ExternalSecretDataRemoteRef{Key: "k30"})
	if _, err := f.GetSecret(ctx, Source{Store: store(1), Namespace: "ns"}, esv1.ExternalSecretDataRemoteRef{Key: "k0"}); err != nil {
		t.Fatal(err)
	}
	if reads, _, _ := p.counts(); reads != 2 || !slices.Equal(p.reads[1], []string{"k0"}) {
		t.Fatalf("a forced read of a cached key read %v, want [k0] alone", p.reads[1:])
	}
}

// A read that takes expected keys along carries widenLimit keys in all, the asker's
// included: a whole number of a provider's batch calls (AWS: ten of 20).
func TestExpectedKeysFillAReadToTheLimit(t *testing.T) {
	p, f, src := heldFetcher(450)
	close(p.hold)
	ctx := context.Background()
	expectKeys(f, src, 450)
	for i := range 450 {
		if _, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("k%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var sizes []int
	for _, r := range p.reads {
		sizes = append(sizes, len(r))
	}
	if !slices.Equal(sizes, []int{widenLimit, widenLimit, 50}) {
		t.Fatalf("450 expected keys asked one by one were read in batches of %v, want [%d %d 50]", sizes, widenLimit, widenLimit)
	}
}

// expectKeys tells f that objects read k0 … k(n-1) from src.
func expectKeys(f *Fetcher, src Source, n int) {
	for i := range n {
		f.Expect(context.Background(), src, &esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("k%d", i)})
	}
}

// heldFetcher returns a provider of keys keys whose reads wait for p.hold to close, a
// fetcher over it, and a source of its store that accepts values a minute old.
func heldFetcher(keys int) (*batchProvider, *Fetcher, Source) {
	p := newBatchProvider(keys)
	p.hold = make(chan struct{})
	f, _ := newBatchFetcher(p)
	return p, f, Source{Store: store(1), Namespace: "ns", MaxAge: time.Minute}
}

// Askers' own keys that join a read already filled to the limit are topped up to a whole
// number of fillUnit keys with expected ones.
func TestAReadPastTheLimitIsToppedUpToAWholeBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, f, src := heldFetcher(600)
		ctx := context.Background()
		expectKeys(f, src, 600)
		var wg sync.WaitGroup
		get := func(key string) {
			wg.Go(func() {
				if _, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: key}); err != nil {
					t.Error(err)
				}
			})
			synctest.Wait()
		}
		get("k0") // the first read: k0 and 199 expected keys, held in flight
		var formed map[string]bool
		for i := range 600 { // two more askers whose keys neither read holds
			key := fmt.Sprintf("k%d", i)
			f.mu.Lock()
			d := f.docs[f.keyOf(src)]
			f.mu.Unlock()
			d.mu.Lock()
			inFlight, waiting := d.reading.keys[key], d.forming != nil && d.forming.keys[key]
			if d.forming != nil {
				formed = d.forming.keys
			}
			d.mu.Unlock()
			if !inFlight && !waiting {
				get(key)
				if len(formed) > widenLimit {
					break
				}
			}
		}
		for key := range formed { // an asker of a key already waiting adds nothing
			get(key)
			break
		}
		close(p.hold)
		wg.Wait()
		var sizes []int
		for _, r := range p.reads {
			sizes = append(sizes, len(r))
		}
		if len(sizes) < 2 || sizes[0] != widenLimit || sizes[1] != widenLimit+fillUnit {
			t.Fatalf("reads of %v keys, want %d, then %d (the limit, past it by an asker's key, topped up to a whole batch)",
				sizes, widenLimit, widenLimit+fillUnit)
		}
	})
}

// A key expected again while its read is in flight (an idle reconcile of another reader
// of it) is not read a second time.
func TestAKeyOnItsWayIsNotExpectedAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, f, src := heldFetcher(3)
		ctx := context.Background()
		ref := func(i int) *esv1.ExternalSecretDataRemoteRef {
			return &esv1.ExternalSecretDataRemoteRef{Key: fmt.Sprintf("k%d", i)}
		}
		f.Expect(ctx, src, ref(1))
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := f.GetSecret(ctx, src, *ref(0)); err != nil { // takes k1 along
				t.Error(err)
			}
		})
		synctest.Wait()
		f.Expect(ctx, src, ref(1)) // while k0 and k1 are read
		wg.Go(func() {
			if _, err := f.GetSecret(ctx, src, *ref(2)); err != nil { // the next read
				t.Error(err)
			}
		})
		synctest.Wait()
		close(p.hold)
		wg.Wait()
		if got := p.reads; len(got) != 2 || !slices.Equal(got[1], []string{"k2"}) {
			t.Fatalf("reads %v, want [k0 k1] then [k2]: k1 was on its way when expected again", got)
		}
	})
}

func TestForcedReadsSkipTheCacheButShareABatch(t *testing.T) {
	p := newBatchProvider(1)
	f, _ := newBatchFetcher(p)
	ctx := context.Background()
	ref := esv1.ExternalSecretDataRemoteRef{Key: "k0"}
	if _, err := f.GetSecret(ctx, Source{Store: store(1), Namespace: "ns", MaxAge: time.Minute}, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetSecret(ctx, Source{Store: store(1), Namespace: "ns"}, ref); err != nil {
		t.Fatal(err)
	}
	if reads, _, _ := p.counts(); reads != 2 {
		t.Fatalf("a read with MaxAge 0 was served from the cache (%d read calls)", reads)
	}
}

func TestMissingKeysAreCachedOtherErrorsAreNot(t *testing.T) {
	p := newBatchProvider(0)
	f, _ := newBatchFetcher(p)
	ctx := context.Background()
	src := Source{Store: store(1), Namespace: "ns", MaxAge: time.Minute}
	for range 2 {
		if _, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: "gone"}); !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("GetSecret(gone) = %v, want ErrNotFound", err)
		}
	}
	if reads, _, _ := p.counts(); reads != 1 {
		t.Fatalf("a missing key was read %d times within MaxAge, want 1", reads)
	}
	for range 2 {
		if _, err := f.GetSecret(ctx, src, esv1.ExternalSecretDataRemoteRef{Key: "broken"}); err == nil {
			t.Fatal("GetSecret(broken) succeeded")
		}
	}
	if reads, _, _ := p.counts(); reads != 3 {
		t.Fatalf("a failed read was served from the cache (%d read calls, want 3)", reads)
	}
}

func TestSweepDropsUnusedDocuments(t *testing.T) {
	p := newBatchProvider(1)
	f, clk := newBatchFetcher(p)
	ctx := context.Background()
	src := Source{Store: store(1), Namespace: "ns", MaxAge: 48 * time.Hour}
	ref := esv1.ExternalSecretDataRemoteRef{Key: "k0"}
	if _, err := f.GetSecret(ctx, src, ref); err != nil {
		t.Fatal(err)
	}
	clk.Add(DefaultDocumentIdleTTL + time.Minute)
	f.Sweep()
	if _, err := f.GetSecret(ctx, src, ref); err != nil {
		t.Fatal(err)
	}
	if reads, _, checks := p.counts(); reads != 2 || checks != 0 {
		t.Fatalf("after a sweep: %d reads and %d checks, want the document read again", reads, checks)
	}
}

func TestClusterStoreClientsAreSharedAcrossNamespacesWhenTheProviderSaysSo(t *testing.T) {
	for _, shared := range []bool{true, false} {
		p := newBatchProvider(1)
		p.sharedAcrossNamespaces = shared
		f, _ := newBatchFetcher(p)
		for _, ns := range []string{"a", "b", "c"} {
			src := Source{Store: clusterStore(), Namespace: ns, MaxAge: time.Minute}
			if _, err := f.GetSecret(context.Background(), src, esv1.ExternalSecretDataRemoteRef{Key: "k0"}); err != nil {
				t.Fatal(err)
			}
		}
		wantClients, wantReads := 3, 3
		if shared {
			wantClients, wantReads = 1, 1
		}
		if reads, _, _ := p.counts(); p.clients != wantClients || reads != wantReads {
			t.Errorf("shared=%v: %d clients and %d reads for three namespaces, want %d and %d", shared, p.clients, reads, wantClients, wantReads)
		}
	}
}
