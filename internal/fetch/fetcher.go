package fetch

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/metrics"
	"github.com/ferryhq/ferry/internal/provider"
)

// DefaultClientTTL bounds how long a provider client lives, so that credentials read from
// Secrets (static keys, tokens) are picked up again after they rotate.
const DefaultClientTTL = 15 * time.Minute

// DefaultDocumentIdleTTL is how long a remote secret nobody asked for stays cached. The
// documents of a store must outlive the refresh intervals of the objects that read them, so
// that a refresh can confirm a value by its version instead of reading it again.
const DefaultDocumentIdleTTL = 25 * time.Hour

// DefaultValueTTL bounds the cache of the reads that are not served from documents (pinned
// versions, metadata, finds): no MaxAge reaches beyond it.
const DefaultValueTTL = 5 * time.Minute

// callTimeout bounds one batch read or version check: it runs for every object waiting on
// it, not under any one object's context.
const callTimeout = 2 * time.Minute

// Fetcher reads remote values on behalf of reconcilers.
type Fetcher struct {
	registry        *provider.Registry
	kube            client.Client
	clientTTL       time.Duration
	documentIdleTTL time.Duration
	valueTTL        time.Duration
	now             func() time.Time
	metrics         *metrics.Metrics

	mu      sync.Mutex
	clients map[clientKey]*clientEntry
	values  map[string]cachedValue
	docs    map[clientKey]*documents

	flight singleflight.Group

	index *index
	// indexed filters the stores whose reads index records; nil: every store.
	indexed func(esv1.GenericStore) bool
}

// Options tune a Fetcher; zero values pick defaults.
type Options struct {
	// ClientTTL bounds the life of a provider client (default DefaultClientTTL).
	ClientTTL time.Duration
	// DocumentIdleTTL is how long an unused remote secret stays cached (default
	// DefaultDocumentIdleTTL).
	DocumentIdleTTL time.Duration
	// ValueTTL is how long Sweep keeps other cached reads (default DefaultValueTTL).
	ValueTTL time.Duration
	// Now is the clock, for tests.
	Now func() time.Time
	// Metrics records calls, cache hits and coalesced reads; nil records nothing.
	Metrics *metrics.Metrics
	// Indexed says which stores' reads are indexed for change reports (Changed); nil
	// indexes every store's. The index costs memory per object and key read, which is
	// spent for nothing on a store no change can be reported for.
	Indexed func(esv1.GenericStore) bool
}

// New returns a Fetcher over the providers of registry. kube must be an uncached client:
// providers read auth Secrets and request ServiceAccount tokens with it.
func New(registry *provider.Registry, kube client.Client, opts Options) *Fetcher {
	if opts.ClientTTL == 0 {
		opts.ClientTTL = DefaultClientTTL
	}
	if opts.DocumentIdleTTL == 0 {
		opts.DocumentIdleTTL = DefaultDocumentIdleTTL
	}
	if opts.ValueTTL == 0 {
		opts.ValueTTL = DefaultValueTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Fetcher{
		registry: registry, kube: kube, clientTTL: opts.ClientTTL, documentIdleTTL: opts.DocumentIdleTTL,
		valueTTL: opts.ValueTTL, now: opts.Now, metrics: opts.Metrics,
		clients: map[clientKey]*clientEntry{}, values: map[string]cachedValue{}, docs: map[clientKey]*documents{},
		index: newIndex(), indexed: opts.Indexed,
	}
}

// Registry returns the provider registry.
func (f *Fetcher) Registry() *provider.Registry { return f.registry }

// Source names a store and the namespace a read is made for.
type Source struct {
	Store esv1.GenericStore
	// Namespace of the asking object; used by ClusterSecretStores for referent auth.
	Namespace string
	// MaxAge is how long ago a cached value may have been last confirmed current (read, or
	// its version checked); 0 always reads the provider (identical concurrent reads are
	// still coalesced).
	MaxAge time.Duration
	// Reader is the object the read is made for; when set, the fetcher indexes the keys it
	// reads so that a reported change of a key reaches it (Changed).
	Reader Reader
}

type clientKey struct {
	kind, name string
	uid        types.UID
	generation int64
	namespace  string
}

type clientEntry struct {
	once    sync.Once
	client  provider.Client
	err     error
	created time.Time
}

type cachedValue struct {
	value any
	// fetched is when the read that returned value started.
	fetched time.Time
}

// keyOf names the client (and the documents) that serve src: one per store generation, and
// per asking namespace for a ClusterSecretStore unless its provider says that the namespace
// makes no difference.
func (f *Fetcher) keyOf(src Source) clientKey {
	s := src.Store
	k := clientKey{kind: s.GetKind(), name: s.GetName(), uid: s.GetUID(), generation: s.GetGeneration()}
	switch {
	case s.GetKind() == esv1.SecretStoreKind:
		k.namespace = s.GetNamespace()
	case !f.sameForEveryNamespace(s):
		k.namespace = src.Namespace
	}
	return k
}

// Batched reports whether src is read in batches (its client is a provider.BatchReader),
// building the client if needed, or why the client cannot be built.
func (f *Fetcher) Batched(ctx context.Context, src Source) (bool, error) {
	c, err := f.client(ctx, src)
	if err != nil {
		return false, err
	}
	_, ok := c.(provider.BatchReader)
	return ok, nil
}

// Scope names the client, and the documents, that serve src: reads of sources of one
// scope share a client and a cache. Scopes are comparable and carry names only.
type Scope struct{ key clientKey }

// Scope returns the scope of src.
func (f *Fetcher) Scope(src Source) Scope { return Scope{f.keyOf(src)} }

func (f *Fetcher) sameForEveryNamespace(store esv1.GenericStore) bool {
	p, err := f.registry.ForStore(store)
	if err != nil {
		return false
	}
	ni, ok := p.(provider.NamespaceIndependent)
	return ok && ni.SameForEveryNamespace(store)
}

func (k clientKey) String() string {
	return fmt.Sprintf("%s/%s/%s/%d/%s", k.kind, k.namespace, k.name, k.generation, k.uid)
}

// client returns the cached client for the source's store, building it once.
func (f *Fetcher) client(ctx context.Context, src Source) (provider.Client, error) {
	key := f.keyOf(src)
	now := f.now()
	f.mu.Lock()
	entry, ok := f.clients[key]
	if ok && now.Sub(entry.created) > f.clientTTL {
		// Expired clients are replaced.
		delete(f.clients, key)
		ok = false
	}
	if !ok {
		entry = &clientEntry{created: now}
		f.clients[key] = entry
		f.dropOlderGenerations(key)
	}
	f.mu.Unlock()

	entry.once.Do(func() {
		var c provider.Client
		p, err := f.registry.ForStore(src.Store)
		if err == nil {
			c, err = p.NewClient(ctx, src.Store, f.kube, src.Namespace)
			f.metrics.ClientBuilt(p.Name(), err)
		}
		// Under f.mu: Forget and dropOlderGenerations read the entry's client.
		f.mu.Lock()
		defer f.mu.Unlock()
		entry.client, entry.err = c, err
		if err != nil && f.clients[key] == entry {
			// A failed build is not kept: the next call tries again.
			delete(f.clients, key)
		}
	})
	return entry.client, entry.err
}

// dropOlderGenerations forgets clients, and cached documents, of earlier generations of the
// same store. Callers hold f.mu.
func (f *Fetcher) dropOlderGenerations(key clientKey) {
	for k, e := range f.clients {
		if k.kind == key.kind && k.name == key.name && k.namespace == key.namespace && k != key {
			delete(f.clients, k)
			if e.client != nil {
				go func(c provider.Client) { _ = c.Close(context.Background()) }(e.client)
			}
		}
	}
	for k := range f.docs {
		if k.kind == key.kind && k.name == key.name && k.namespace == key.namespace && k != key {
			delete(f.docs, k)
		}
	}
}

// Forget drops the clients and cached values of a store, e.g. when it is deleted.
func (f *Fetcher) Forget(kind, namespace, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, e := range f.clients {
		if k.kind == kind && k.name == name && (kind == esv1.ClusterSecretStoreKind || k.namespace == namespace) {
			delete(f.clients, k)
			if e.client != nil {
				go func(c provider.Client) { _ = c.Close(context.Background()) }(e.client)
			}
		}
	}
	for k := range f.docs {
		if k.kind == kind && k.name == name && (kind == esv1.ClusterSecretStoreKind || k.namespace == namespace) {
			delete(f.docs, k)
		}
	}
}

// read runs op once for identical concurrent calls and caches its result for MaxAge. The
// shared call runs detached from any one caller's cancellation (bounded by callTimeout), as
// the batched document reads do, so that a caller that gives up does not fail the others
// waiting on the same read; each caller still returns as soon as its own context ends.
// A value read before marked (a reported change of its key) is not served, and a read in
// flight that started before it is not joined.
func (f *Fetcher) read(ctx context.Context, src Source, call string, opKey string, marked time.Time,
	op func(context.Context, provider.Client) (any, error)) (any, error) {
	key := f.keyOf(src).String() + "|" + call + "|" + opKey
	if v, ok := f.cached(key, src.MaxAge, marked); ok {
		f.metrics.CacheHit()
		return v, nil
	}
	flightKey := key
	if !marked.IsZero() {
		flightKey += fmt.Sprintf("|%d", marked.UnixNano())
	}
	results := f.flight.DoChan(flightKey, func() (any, error) {
		// A read of the same key may have completed, and left the flight group, between
		// the miss above and this flight's start: its result serves this caller too.
		if v, ok := f.cached(key, src.MaxAge, marked); ok {
			return v, nil
		}
		shared, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
		defer cancel()
		started := f.now()
		c, err := f.client(shared, src)
		if err != nil {
			return nil, err
		}
		v, err := op(shared, c)
		f.metrics.ProviderCall(providerName(src.Store), call, err)
		if err != nil {
			return nil, err
		}
		f.mu.Lock()
		f.values[key] = cachedValue{value: v, fetched: started}
		f.mu.Unlock()
		return v, nil
	})
	select {
	case r := <-results:
		if r.Shared {
			f.metrics.Coalesced()
		}
		return r.Val, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// cached returns the value cached under key when it was read within maxAge and not before
// marked; a zero maxAge never serves from the cache.
func (f *Fetcher) cached(key string, maxAge time.Duration, marked time.Time) (any, bool) {
	if maxAge <= 0 {
		return nil, false
	}
	f.mu.Lock()
	c, ok := f.values[key]
	f.mu.Unlock()
	if !ok || f.now().Sub(c.fetched) > maxAge || c.fetched.Before(marked) {
		return nil, false
	}
	return c.value, true
}

func providerName(store esv1.GenericStore) string {
	if names := provider.Configured(store.GetSpec().Provider); len(names) == 1 {
		return names[0]
	}
	return "unknown"
}

// GetSecret reads one value.
func (f *Fetcher) GetSecret(ctx context.Context, src Source, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	return readRef(ctx, f, src, ref, "GetSecret", provider.BatchReader.SecretFromDocument, provider.Client.GetSecret)
}

// GetSecretMap reads the keys of one JSON value.
func (f *Fetcher) GetSecretMap(ctx context.Context, src Source, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return readRef(ctx, f, src, ref, "GetSecretMap", provider.BatchReader.SecretMapFromDocument, provider.Client.GetSecretMap)
}

// readRef reads what ref names: from the document of its key where the provider reads
// whole documents (shared with every reference to the same key), otherwise with one call
// of op (coalesced with identical reads in flight).
func readRef[T any](ctx context.Context, f *Fetcher, src Source, ref esv1.ExternalSecretDataRemoteRef, op string,
	fromDocument func(provider.BatchReader, provider.Document, esv1.ExternalSecretDataRemoteRef) (T, error),
	call func(provider.Client, context.Context, esv1.ExternalSecretDataRemoteRef) (T, error)) (T, error) {
	var none T
	br, key, err := f.documentReader(ctx, src, ref)
	if err != nil {
		return none, err
	}
	marked := f.track(src, indexKeys(ref, key)...)
	if br != nil {
		doc, err := f.document(ctx, src, br, key, marked)
		if err != nil {
			return none, err
		}
		return fromDocument(br, doc, ref)
	}
	v, err := f.read(ctx, src, op, refKey(ref), marked, func(ctx context.Context, c provider.Client) (any, error) {
		return call(c, ctx, ref)
	})
	if err != nil {
		return none, err
	}
	return v.(T), nil
}

// Expect says that src's object reads what ref names (with a nil ref, whatever find
// selects in the whole store), without reading anything: the object was in sync when this
// process started and is not due for a while. It is indexed under those keys, so that a
// change report reaches it before its first read here; and where the provider reads whole
// documents, the key joins the next read of an uncached key of the same store, so that a
// fresh process reads its store in batches as objects come due, not one key at a time. The
// document key needs the store's client; when it cannot be built, the key as written is
// indexed alone.
func (f *Fetcher) Expect(ctx context.Context, src Source, ref *esv1.ExternalSecretDataRemoteRef) {
	if src.Store == nil {
		return
	}
	if ref == nil {
		f.track(src, wholeStore)
		return
	}
	br, key, err := f.documentReader(ctx, src, *ref)
	if err != nil {
		key = ""
	}
	f.track(src, indexKeys(*ref, key)...)
	if br != nil {
		f.documentsOf(f.keyOf(src)).expect(key, f.now())
	}
}

// GetAllSecrets reads every remote secret that find selects.
func (f *Fetcher) GetAllSecrets(ctx context.Context, src Source, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	v, err := f.read(ctx, src, "GetAllSecrets", findKey(find), f.track(src, wholeStore), func(ctx context.Context, c provider.Client) (any, error) {
		return c.GetAllSecrets(ctx, find)
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string][]byte), nil
}

// Validate builds (or reuses) the store's client and asks the provider to validate it.
func (f *Fetcher) Validate(ctx context.Context, src Source) (esv1.ValidationResult, error) {
	c, err := f.client(ctx, src)
	if err != nil {
		return esv1.ValidationResultError, err
	}
	return c.Validate(ctx)
}

// Sweep drops cached values older than ValueTTL and documents unused for DocumentIdleTTL,
// bounding memory, and records what it kept. Every replica calls it periodically.
func (f *Fetcher) Sweep() {
	now := f.now()
	f.mu.Lock()
	for k, v := range f.values {
		if now.Sub(v.fetched) > f.valueTTL {
			delete(f.values, k)
		}
	}
	values := len(f.values)
	docs := make([]*documents, 0, len(f.docs))
	for _, d := range f.docs {
		docs = append(docs, d)
	}
	f.mu.Unlock()
	kept := 0
	for _, d := range docs {
		kept += d.sweep(now.Add(-f.documentIdleTTL))
	}
	f.index.sweep(now.Add(-f.documentIdleTTL))
	f.metrics.Swept(kept, values)
}

// indexKeys are the names under which a read of ref is indexed: the key as the object
// writes it and, when it differs, the provider's document key (with the store's prefix).
func indexKeys(ref esv1.ExternalSecretDataRemoteRef, documentKey string) []string {
	if documentKey == "" || documentKey == ref.Key {
		return []string{ref.Key}
	}
	return []string{ref.Key, documentKey}
}

func refKey(ref esv1.ExternalSecretDataRemoteRef) string {
	return strings.Join([]string{ref.Key, ref.Property, ref.Version, string(ref.MetadataPolicy)}, "\x00")
}

func findKey(find esv1.ExternalSecretFind) string {
	var b strings.Builder
	if find.Path != nil {
		b.WriteString(*find.Path)
	}
	b.WriteByte(0)
	if find.Name != nil {
		b.WriteString(find.Name.RegExp)
	}
	for _, k := range slices.Sorted(maps.Keys(find.Tags)) {
		fmt.Fprintf(&b, "\x00%s=%s", k, find.Tags[k])
	}
	return b.String()
}

// Writer returns the store's client as a Writer (PushSecret), or an error saying that the
// provider cannot write.
func (f *Fetcher) Writer(ctx context.Context, src Source) (provider.Writer, error) {
	c, err := f.client(ctx, src)
	if err != nil {
		return nil, err
	}
	w, ok := c.(provider.Writer)
	if !ok {
		return nil, fmt.Errorf("the %s provider cannot write: PushSecret is not supported for it", providerName(src.Store))
	}
	return w, nil
}
