package externalsecret

import (
	"context"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/storeref"
)

// readerOf names es to the fetcher's index of who reads what.
func readerOf(es *esv1.ExternalSecret) fetch.Reader {
	return fetch.Reader{Kind: esv1.ExtSecretKind, Namespace: es.Namespace, Name: es.Name}
}

// storeIDs lists the stores es reads, as the fetcher names them.
func storeIDs(es *esv1.ExternalSecret) []fetch.StoreID {
	var ids []fetch.StoreID
	for _, k := range storeref.Of(es) {
		id := fetch.StoreID{Kind: k.Kind, Name: k.Name}
		if k.Kind != esv1.ClusterSecretStoreKind {
			id.Namespace = es.Namespace
		}
		ids = append(ids, id)
	}
	return ids
}

// generates says whether es has generated entries, which no change feed covers.
func generates(es *esv1.ExternalSecret) bool {
	for _, d := range es.Spec.DataFrom {
		if d.SourceRef != nil && d.SourceRef.GeneratorRef != nil {
			return true
		}
	}
	return false
}

// interval is how often es is refreshed: its own refreshInterval, stretched to the safety
// interval while every store it reads has a healthy change feed (and nothing in it is
// generated), since the feeds then report changes as they happen.
func (r *Reconciler) interval(es *esv1.ExternalSecret) time.Duration {
	own := refreshInterval(es)
	if own <= 0 || r.Changes == nil || generates(es) || !r.Changes.Covered(storeIDs(es)) {
		return own
	}
	return max(own, r.Changes.SafetyInterval())
}

// source is where es reads from store: indexed under es when change reports are routed.
func (r *Reconciler) source(es *esv1.ExternalSecret, store esv1.GenericStore, maxAge time.Duration) fetch.Source {
	src := fetch.Source{Store: store, Namespace: es.Namespace, MaxAge: maxAge}
	if r.Changes != nil {
		src.Reader = readerOf(es)
	}
	return src
}

// expectReads tells the fetcher every remote key es reads from a store, without reading
// (generated entries read no store). source gives the source of an entry's store (nil: the
// object's secretStoreRef), or false to leave the entry out.
func (r *Reconciler) expectReads(ctx context.Context, es *esv1.ExternalSecret, source func(*esv1.SecretStoreRef) (fetch.Source, bool)) {
	expect := func(storeRef *esv1.SecretStoreRef, ref *esv1.ExternalSecretDataRemoteRef) {
		if src, ok := source(storeRef); ok {
			r.Fetcher.Expect(ctx, src, ref)
		}
	}
	for _, d := range es.Spec.DataFrom {
		var storeRef *esv1.SecretStoreRef
		if d.SourceRef != nil {
			storeRef = d.SourceRef.SecretStoreRef
		}
		switch {
		case d.Extract != nil:
			expect(storeRef, d.Extract)
		case d.Find != nil:
			expect(storeRef, nil)
		}
	}
	for i := range es.Spec.Data {
		d := &es.Spec.Data[i]
		var storeRef *esv1.SecretStoreRef
		if d.SourceRef != nil {
			storeRef = d.SourceRef.SecretStoreRef
		}
		expect(storeRef, &d.RemoteRef)
	}
}
