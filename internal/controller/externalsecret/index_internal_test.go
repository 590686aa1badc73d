package externalsecret

import (
	"context"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// The informer's own index finds a Secret's writer by its name when the target is the
// object's own name, through the target index when it is another, and a store's readers by
// kind: a SecretStore's in its namespace only, a ClusterSecretStore's in every namespace.
func TestIndexInformer(t *testing.T) {
	indexer := toolscache.NewIndexer(toolscache.MetaNamespaceKeyFunc,
		toolscache.Indexers{IndexTarget: otherTargetKeys, IndexStore: storeKeys})
	es := func(ns, name, target, storeKind, store string) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: esv1.ExternalSecretSpec{Target: esv1.ExternalSecretTarget{Name: target},
				SecretStoreRef: esv1.SecretStoreRef{Kind: storeKind, Name: store}}}
	}
	for _, o := range []*esv1.ExternalSecret{
		es("a", "db", "", "", "local"),                           // writes a/db
		es("a", "api", "api-creds", "ClusterSecretStore", "aws"), // writes a/api-creds
		es("a", "api-creds", "other", "SecretStore", "local"),    // named like a target, writes a/other
		es("b", "db", "db", "ClusterSecretStore", "aws"),
		es("b", "x", "", "SecretStore", "local"),
	} {
		if err := indexer.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	x := &index{informer: indexer}
	ctx := context.Background()
	names := func(rs []reconcile.Request, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.String())
		}
		slices.Sort(out)
		return out
	}
	for _, tt := range []struct {
		namespace, secret string
		want              []string
	}{
		{"a", "db", []string{"a/db"}},
		{"a", "api-creds", []string{"a/api"}},
		{"a", "other", []string{"a/api-creds"}},
		{"a", "api", nil},
		{"b", "db", []string{"b/db"}},
		{"c", "db", nil},
	} {
		if got := names(x.writersOf(ctx, tt.namespace, tt.secret)); !slices.Equal(got, tt.want) {
			t.Errorf("writers of Secret %s/%s = %v, want %v", tt.namespace, tt.secret, got, tt.want)
		}
	}
	store := func(kind, ns, name string) esv1.GenericStore {
		if kind == esv1.ClusterSecretStoreKind {
			return &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: name}}
		}
		return &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	for _, tt := range []struct {
		store esv1.GenericStore
		want  []string
	}{
		{store(esv1.ClusterSecretStoreKind, "", "aws"), []string{"a/api", "b/db"}},
		{store(esv1.SecretStoreKind, "a", "local"), []string{"a/api-creds", "a/db"}},
		{store(esv1.SecretStoreKind, "b", "local"), []string{"b/x"}},
		{store(esv1.SecretStoreKind, "c", "local"), nil},
	} {
		if got := names(x.readersOf(ctx, tt.store)); !slices.Equal(got, tt.want) {
			t.Errorf("readers of %s %s/%s = %v, want %v", tt.store.GetKind(), tt.store.GetNamespace(), tt.store.GetName(), got, tt.want)
		}
	}
}
