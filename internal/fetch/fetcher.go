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

// Fetcher reads remote values on behalf of reconcilers.
type Fetcher struct {
	registry  *provider.Registry
	kube      client.Client
	clientTTL time.Duration
	now       func() time.Time
	metrics   *metrics.Metrics

	mu      sync.Mutex
	clients map[clientKey]*clientEntry
	values  map[string]cachedValue

	flight singleflight.Group
}

// Options tune a Fetcher; zero values pick defaults.
type Options struct {
	// ClientTTL bounds the life of a provider client (default DefaultClientTTL).
	ClientTTL time.Duration
	// Now is the clock, for tests.
	Now func() time.Time
	// Metrics records calls, cache hits and coalesced reads; nil records nothing.
	Metrics *metrics.Metrics
}

// New returns a Fetcher over the providers of registry. kube must be an uncached client:
// providers read auth Secrets and request ServiceAccount tokens with it.
func New(registry *provider.Registry, kube client.Client, opts Options) *Fetcher {
	if opts.ClientTTL == 0 {
		opts.ClientTTL = DefaultClientTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Fetcher{
		registry: registry, kube: kube, clientTTL: opts.ClientTTL, now: opts.Now, metrics: opts.Metrics,
		clients: map[clientKey]*clientEntry{}, values: map[string]cachedValue{},
	}
}

// Registry returns the provider registry.
func (f *Fetcher) Registry() *provider.Registry { return f.registry }

// Source names a store and the namespace a read is made for.
type Source struct {
	Store esv1.GenericStore
	// Namespace of the asking object; used by ClusterSecretStores for referent auth.
	Namespace string
	// MaxAge is how old a cached value may be; 0 always reads the provider (identical
	// concurrent reads are still coalesced).
	MaxAge time.Duration
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
	value   any
	fetched time.Time
}

func keyOf(src Source) clientKey {
	s := src.Store
	k := clientKey{kind: s.GetKind(), name: s.GetName(), uid: s.GetUID(), generation: s.GetGeneration()}
	if s.GetKind() == esv1.SecretStoreKind {
		k.namespace = s.GetNamespace()
	} else {
		k.namespace = src.Namespace
	}
	return k
}

func (k clientKey) String() string {
	return fmt.Sprintf("%s/%s/%s/%d/%s", k.kind, k.namespace, k.name, k.generation, k.uid)
}

// client returns the cached client for the source's store, building it once.
func (f *Fetcher) client(ctx context.Context, src Source) (provider.Client, error) {
	key := keyOf(src)
	now := f.now()
	f.mu.Lock()
	entry, ok := f.clients[key]
	if ok && (entry.err != nil || now.Sub(entry.created) > f.clientTTL) {
		// Failed builds are retried on the next call; expired clients are replaced.
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
		p, err := f.registry.ForStore(src.Store)
		if err != nil {
			entry.err = err
			return
		}
		entry.client, entry.err = p.NewClient(ctx, src.Store, f.kube, src.Namespace)
		f.metrics.ClientBuilt(p.Name(), entry.err)
	})
	return entry.client, entry.err
}

// dropOlderGenerations forgets clients of earlier generations of the same store. Callers
// hold f.mu.
func (f *Fetcher) dropOlderGenerations(key clientKey) {
	for k, e := range f.clients {
		if k.kind == key.kind && k.name == key.name && k.namespace == key.namespace && k != key {
			delete(f.clients, k)
			if e.client != nil {
				go func(c provider.Client) { _ = c.Close(context.Background()) }(e.client)
			}
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
}

// read runs op once for identical concurrent calls and caches its result for MaxAge.
func (f *Fetcher) read(ctx context.Context, src Source, call string, opKey string, op func(provider.Client) (any, error)) (any, error) {
	key := keyOf(src).String() + "|" + call + "|" + opKey
	if src.MaxAge > 0 {
		f.mu.Lock()
		cached, ok := f.values[key]
		f.mu.Unlock()
		if ok && f.now().Sub(cached.fetched) <= src.MaxAge {
			f.metrics.CacheHit()
			return cached.value, nil
		}
	}
	v, err, shared := f.flight.Do(key, func() (any, error) {
		c, err := f.client(ctx, src)
		if err != nil {
			return nil, err
		}
		v, err := op(c)
		f.metrics.ProviderCall(providerName(src.Store), call, err)
		if err != nil {
			return nil, err
		}
		f.mu.Lock()
		f.values[key] = cachedValue{value: v, fetched: f.now()}
		f.mu.Unlock()
		return v, nil
	})
	if shared {
		f.metrics.Coalesced()
	}
	return v, err
}

func providerName(store esv1.GenericStore) string {
	if names := provider.Configured(store.GetSpec().Provider); len(names) == 1 {
		return names[0]
	}
	return "unknown"
}

// GetSecret reads one value.
func (f *Fetcher) GetSecret(ctx context.Context, src Source, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	v, err := f.read(ctx, src, "GetSecret", refKey(ref), func(c provider.Client) (any, error) {
		return c.GetSecret(ctx, ref)
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// GetSecretMap reads the keys of one JSON value.
func (f *Fetcher) GetSecretMap(ctx context.Context, src Source, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	v, err := f.read(ctx, src, "GetSecretMap", refKey(ref), func(c provider.Client) (any, error) {
		return c.GetSecretMap(ctx, ref)
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string][]byte), nil
}

// GetAllSecrets reads every remote secret that find selects.
func (f *Fetcher) GetAllSecrets(ctx context.Context, src Source, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	v, err := f.read(ctx, src, "GetAllSecrets", findKey(find), func(c provider.Client) (any, error) {
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

// Sweep drops cached values older than maxAge, bounding memory. The manager calls it
// periodically.
func (f *Fetcher) Sweep(maxAge time.Duration) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, v := range f.values {
		if now.Sub(v.fetched) > maxAge {
			delete(f.values, k)
		}
	}
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
