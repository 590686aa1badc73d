package pushsecret

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/storeref"
)

// store is a resolved store and the key status.syncedPushSecrets files it under.
type store struct {
	key string // "<Kind>/<name>"
	obj esv1.GenericStore
}

// resolveStores resolves spec.secretStoreRefs to stores this instance handles and that may
// serve the PushSecret's namespace. It fails with NotOurs when every store it names belongs
// to another controller class: such a PushSecret is another instance's to write.
func (r *Reconciler) resolveStores(ctx context.Context, ps *esv1alpha1.PushSecret) ([]store, error) {
	resolver := r.resolver()
	var out []store
	notOurs := 0
	for i, ref := range ps.Spec.SecretStoreRefs {
		kind := storeref.KeyOf(esv1.SecretStoreRef{Kind: ref.Kind}).Kind
		var found []esv1.GenericStore
		var err error
		switch {
		case ref.Name != "":
			var st esv1.GenericStore
			st, err = resolver.Get(ctx, storeref.Key{Kind: kind, Name: ref.Name}, ps.Namespace)
			found = []esv1.GenericStore{st}
		case ref.LabelSelector != nil:
			sel, selErr := metav1.LabelSelectorAsSelector(ref.LabelSelector)
			if selErr != nil {
				return nil, failure.Permanent(esv1.ReasonInvalidSpec, "spec.secretStoreRefs[%d].labelSelector: %v", i, selErr)
			}
			found, err = resolver.List(ctx, kind, ps.Namespace, sel)
		default:
			return nil, failure.Permanent(esv1.ReasonInvalidSpec, "spec.secretStoreRefs[%d]: set name or labelSelector", i)
		}
		switch {
		case failure.IsNotOurs(err):
			notOurs++
			continue
		case err != nil:
			return nil, fmt.Errorf("spec.secretStoreRefs[%d]: %w", i, err)
		}
		for _, st := range found {
			out = append(out, store{key: storeref.Key{Kind: kind, Name: st.GetName()}.String(), obj: st})
		}
	}
	if len(out) == 0 && notOurs > 0 {
		return nil, failure.NotOurs(errors.New("every store the PushSecret names belongs to another controller class"))
	}
	return out, nil
}
