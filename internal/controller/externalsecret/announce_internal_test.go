package externalsecret

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stypes "k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/storeref"
)

// recordingBatch is a provider whose clients read whole documents in batches and record
// the keys of each read; it serves every key with the key's name as its value.
type recordingBatch struct {
	mu         sync.Mutex
	reads      [][]string
	failBuilds int // clients not built before this many more attempts
}

func (p *recordingBatch) Name() string                                 { return "fake" }
func (p *recordingBatch) Capabilities() esv1.SecretStoreCapabilities   { return esv1.SecretStoreReadOnly }
func (p *recordingBatch) ValidateStore(esv1.GenericStore) error        { return nil }
func (p *recordingBatch) SameForEveryNamespace(esv1.GenericStore) bool { return true }
func (p *recordingBatch) DocumentKey(r esv1.ExternalSecretDataRemoteRef) (string, bool) {
	return r.Key, true
}
func (p *recordingBatch) NewClient(context.Context, esv1.GenericStore, client.Client, string) (provider.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failBuilds > 0 {
		p.failBuilds--
		return nil, errors.New("credentials refused")
	}
	return recordingClient{p: p}, nil
}

func (p *recordingBatch) lastRead() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.reads) == 0 {
		return nil
	}
	return slices.Sorted(slices.Values(p.reads[len(p.reads)-1]))
}

// recordingClient implements what the fetcher calls of a batch reader, and Close; the rest
// of provider.Client is left nil and must not be called.
type recordingClient struct {
	provider.Client
	p *recordingBatch
}

func (c recordingClient) DocumentKey(r esv1.ExternalSecretDataRemoteRef) (string, bool) {
	return c.p.DocumentKey(r)
}

func (c recordingClient) ReadDocuments(_ context.Context, keys []string) (map[string]provider.Document, error) {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	c.p.reads = append(c.p.reads, slices.Clone(keys))
	out := map[string]provider.Document{}
	for _, k := range keys {
		out[k] = provider.Document{Value: []byte(k), Version: "1"}
	}
	return out, nil
}

func (c recordingClient) Close(context.Context) error { return nil }

func (c recordingClient) SecretFromDocument(doc provider.Document, _ esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	return doc.Value, nil
}

func (c recordingClient) SecretMapFromDocument(doc provider.Document, _ esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return map[string][]byte{"value": doc.Value}, nil
}

// TestAnnounceExpectsWhatReadersWillRead: the first sync of a store tells the fetcher the
// keys its other readers will read, so that its own read takes them along; readers that
// will not read the store now are left out, and a store generation is announced once.
func TestAnnounceExpectsWhatReadersWillRead(t *testing.T) {
	ctx := context.Background()
	store := &esv1.ClusterSecretStore{
		ObjectMeta: metav1.ObjectMeta{Name: "shared", UID: "css-uid", Generation: 1},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{}},
			Conditions: []esv1.ClusterSecretStoreCondition{{Namespaces: []esv1.NamespaceName{"team-a"}}}},
		Status: esv1.SecretStoreStatus{Conditions: []esv1.SecretStoreStatusCondition{{Type: esv1.SecretStoreReady, Status: metav1.ConditionTrue}}},
	}
	storeRef := esv1.SecretStoreRef{Kind: esv1.ClusterSecretStoreKind, Name: "shared"}
	reader := func(namespace, name string, keys ...string) *esv1.ExternalSecret {
		es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: k8stypes.UID("uid-" + namespace + "-" + name)},
			Spec: esv1.ExternalSecretSpec{SecretStoreRef: storeRef}}
		for _, k := range keys {
			es.Spec.Data = append(es.Spec.Data, esv1.ExternalSecretData{SecretKey: k, RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: k}})
		}
		return es
	}
	self := reader("team-a", "self", "k0")
	synced := reader("team-a", "synced", "k5")
	deleting := reader("team-a", "deleting", "k6")
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	deleting.Finalizers = []string{"test"}
	refused := reader("team-b", "refused", "k7") // the store's conditions select team-a only
	mixed := reader("team-a", "mixed", "k9")
	mixed.Spec.Data = append(mixed.Spec.Data, esv1.ExternalSecretData{SecretKey: "other", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "k8"},
		SourceRef: &esv1.StoreSourceRef{SecretStoreRef: &esv1.SecretStoreRef{Kind: esv1.SecretStoreKind, Name: "elsewhere"}}})
	extract := reader("team-a", "extract")
	extract.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "k10"}}}

	indexer := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc, toolscache.Indexers{IndexStore: storeKeys})
	for _, es := range []*esv1.ExternalSecret{self, reader("team-a", "one", "k1", "k2"), reader("team-a", "two", "k3", "k4"),
		synced, deleting, refused, mixed, extract} {
		if err := indexer.Add(es); err != nil {
			t.Fatal(err)
		}
	}
	scheme := runtime.NewScheme()
	if err := esv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	p := &recordingBatch{}
	r := &Reconciler{
		Client:  fake.NewClientBuilder().WithScheme(scheme).Build(),
		Fetcher: fetch.New(provider.NewRegistry(p), nil, fetch.Options{}),
		index:   &index{informer: indexer},
	}
	r.recordSync(synced, time.Now())
	stores := map[storeref.Key]esv1.GenericStore{storeref.KeyOf(storeRef): store}

	read := func(es *esv1.ExternalSecret, key string) {
		t.Helper()
		if _, err := r.Fetcher.GetSecret(ctx, r.source(es, store, time.Minute), esv1.ExternalSecretDataRemoteRef{Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	// A store whose client cannot be built is not announced then, and is at a later sync.
	p.failBuilds = 1
	r.announce(ctx, self, stores)
	r.announce(ctx, self, stores)
	read(self, "k0")
	want := []string{"k0", "k1", "k10", "k2", "k3", "k4", "k9"}
	if got := p.lastRead(); !slices.Equal(got, want) {
		t.Fatalf("the first read of the store took %v, want %v: every key of the readers that will sync now, and no other", got, want)
	}

	// Announced once per store generation: a later sync's read takes nothing along, not
	// even the key of a reader created since (it syncs, and reads, on its own).
	if err := indexer.Add(reader("team-a", "late", "k11")); err != nil {
		t.Fatal(err)
	}
	r.announce(ctx, synced, stores)
	read(synced, "k5")
	if got := p.lastRead(); !slices.Equal(got, []string{"k5"}) {
		t.Fatalf("a second sync of the same store generation read %v, want [k5] alone", got)
	}

	// A new generation of the store is a new client and cache: its first sync announces again
	// (the readers of this test never synced; readers that synced in this process are left
	// out, as above).
	store.Generation = 2
	r.announce(ctx, self, stores)
	read(self, "k0")
	want = []string{"k0", "k1", "k10", "k11", "k2", "k3", "k4", "k9"}
	if got := p.lastRead(); !slices.Equal(got, want) {
		t.Fatalf("the first read of the store's new generation took %v, want %v", got, want)
	}
}
