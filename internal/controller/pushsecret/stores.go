package pushsecret

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

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

// forStore enqueues the PushSecrets that name store, by name or by a label selector that
// matches it: a store validated after its PushSecrets were created (applied together), or
// whose spec or readiness changed, is news to them, which would otherwise wait out their
// refresh interval.
func (r *Reconciler) forStore(ctx context.Context, o client.Object) []reconcile.Request {
	st := o.(esv1.GenericStore)
	var opts []client.ListOption
	if st.GetKind() == esv1.SecretStoreKind {
		opts = append(opts, client.InNamespace(st.GetNamespace()))
	}
	var list esv1alpha1.PushSecretList
	if err := r.Client.List(ctx, &list, opts...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing PushSecrets for a store failed")
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if names(&list.Items[i], st) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// names says whether one of ps's store references resolves to st.
func names(ps *esv1alpha1.PushSecret, st esv1.GenericStore) bool {
	for _, ref := range ps.Spec.SecretStoreRefs {
		if storeref.KeyOf(esv1.SecretStoreRef{Kind: ref.Kind}).Kind != st.GetKind() {
			continue
		}
		if ref.Name != "" {
			if ref.Name == st.GetName() {
				return true
			}
			continue
		}
		if ref.LabelSelector != nil {
			sel, err := metav1.LabelSelectorAsSelector(ref.LabelSelector)
			if err == nil && sel.Matches(labels.Set(st.GetLabels())) {
				return true
			}
		}
	}
	return false
}
