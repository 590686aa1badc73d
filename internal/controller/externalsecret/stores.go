package externalsecret

import (
	"context"
	"errors"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/storeref"
)

// resolveStores reads every store the object uses and checks that each may serve it.
func (r *Reconciler) resolveStores(ctx context.Context, es *esv1.ExternalSecret) (map[storeref.Key]esv1.GenericStore, error) {
	out := map[storeref.Key]esv1.GenericStore{}
	refs := storeref.Of(es)
	if len(refs) == 0 && r.ControllerClass != "" {
		// Only generators, no store to name a controller class: the default instance's.
		return nil, failure.NotOurs(errors.New("no store names a controller class"))
	}
	resolver := storeref.Resolver{Reader: r.Client, ControllerClass: r.ControllerClass, Namespaces: r.Namespaces, Live: r.APIReader}
	for _, k := range refs {
		if k.Name == "" {
			return nil, failure.Permanent(esv1.ReasonInvalidSpec,
				"spec.secretStoreRef.name: required: name the SecretStore or ClusterSecretStore to read from")
		}
		store, err := resolver.Get(ctx, k, es.Namespace)
		if err != nil {
			return nil, err
		}
		out[k] = store
	}
	return out, nil
}
