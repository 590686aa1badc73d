package externalsecret

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/storeaccess"
)

// storeKey identifies a store reference with its kind defaulted.
type storeKey struct{ kind, name string }

func keyOfRef(ref esv1.SecretStoreRef) storeKey {
	kind := ref.Kind
	if kind == "" {
		kind = esv1.SecretStoreKind
	}
	return storeKey{kind: kind, name: ref.Name}
}

// storeRefs lists every store the object reads from: the default and per-entry sourceRefs.
func storeRefs(es *esv1.ExternalSecret) []storeKey {
	seen := map[storeKey]bool{}
	var keys []storeKey
	add := func(ref esv1.SecretStoreRef) {
		k := keyOfRef(ref)
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	usesDefault := false
	for _, d := range es.Spec.Data {
		if d.SourceRef != nil && d.SourceRef.SecretStoreRef != nil {
			add(*d.SourceRef.SecretStoreRef)
		} else {
			usesDefault = true
		}
	}
	generated := false
	for _, d := range es.Spec.DataFrom {
		switch {
		case d.SourceRef != nil && d.SourceRef.SecretStoreRef != nil:
			add(*d.SourceRef.SecretStoreRef)
		case d.SourceRef != nil && d.SourceRef.GeneratorRef != nil:
			generated = true // no store: see generatedOnly
		default:
			usesDefault = true
		}
	}
	if usesDefault || len(keys) == 0 && !generatedOnly(es, generated) {
		add(es.Spec.SecretStoreRef)
	}
	return keys
}

// generatedOnly says whether an object reads no store at all: its entries are all
// generators and it names no spec.secretStoreRef. A named secretStoreRef is still resolved,
// so that its controller class decides which Ferry instance handles the object; without
// one, the default instance does (resolveStores).
func generatedOnly(es *esv1.ExternalSecret, generated bool) bool {
	return generated && es.Spec.SecretStoreRef.Name == ""
}

// resolveStores reads every store the object uses and checks that each may serve it.
func (r *Reconciler) resolveStores(ctx context.Context, es *esv1.ExternalSecret) (map[storeKey]esv1.GenericStore, error) {
	out := map[storeKey]esv1.GenericStore{}
	refs := storeRefs(es)
	if len(refs) == 0 && r.ControllerClass != "" {
		// Only generators, no store to name a controller class: the default instance's.
		return nil, &failure{reason: reasonNotOurs, err: errors.New("no store names a controller class")}
	}
	for _, k := range refs {
		store, err := r.resolveStore(ctx, es, k)
		if err != nil {
			return nil, err
		}
		out[k] = store
	}
	return out, nil
}

func (r *Reconciler) resolveStore(ctx context.Context, es *esv1.ExternalSecret, k storeKey) (esv1.GenericStore, error) {
	if k.name == "" {
		return nil, permanent(esv1.ReasonInvalidSpec, "spec.secretStoreRef.name: required: name the SecretStore or ClusterSecretStore to read from")
	}
	var store esv1.GenericStore
	key := client.ObjectKey{Name: k.name}
	if k.kind == esv1.ClusterSecretStoreKind && r.Namespace != "" {
		return nil, permanent(esv1.ReasonStoreNotAllowed, "ClusterSecretStore %q: this Ferry serves only namespace %s (--namespace) and no ClusterSecretStores: use a SecretStore in the namespace", k.name, r.Namespace)
	}
	if k.kind == esv1.ClusterSecretStoreKind {
		store = &esv1.ClusterSecretStore{}
	} else {
		store = &esv1.SecretStore{}
		key.Namespace = es.Namespace
	}
	if err := r.Client.Get(ctx, key, store); err != nil {
		if apierrors.IsNotFound(err) {
			if r.ControllerClass != "" {
				// Only the default instance reports missing stores.
				return nil, &failure{reason: reasonNotOurs, err: err}
			}
			where := ""
			if k.kind == esv1.SecretStoreKind {
				where = " in namespace " + es.Namespace
			}
			return nil, permanent(esv1.ReasonStoreNotFound, "%s %q not found%s: create it or fix spec.secretStoreRef", k.kind, k.name, where)
		}
		return nil, transient(esv1.ReasonSecretSyncedError, fmt.Errorf("reading %s %q: %w", k.kind, k.name, err))
	}
	if store.GetSpec().Controller != r.ControllerClass {
		return nil, &failure{reason: reasonNotOurs, err: fmt.Errorf("store %q belongs to controller class %q", k.name, store.GetSpec().Controller)}
	}
	if !storeReady(store) {
		msg := "it has not been validated yet"
		if c := storeReadyCondition(store); c != nil && c.Message != "" {
			msg = c.Message
		}
		return nil, permanent(esv1.ReasonStoreNotReady, "%s %q is not ready: %s", k.kind, k.name, msg)
	}
	if k.kind == esv1.ClusterSecretStoreKind {
		allowed, err := storeaccess.Allowed(ctx, r.Client, store, es.Namespace)
		if err != nil {
			return nil, transient(esv1.ReasonSecretSyncedError, err)
		}
		if !allowed {
			return nil, permanent(esv1.ReasonStoreNotAllowed,
				"ClusterSecretStore %q does not serve namespace %s: its spec.conditions match other namespaces", k.name, es.Namespace)
		}
	}
	return store, nil
}

func storeReadyCondition(store esv1.GenericStore) *esv1.SecretStoreStatusCondition {
	for i, c := range store.GetStatus().Conditions {
		if c.Type == esv1.SecretStoreReady {
			return &store.GetStatus().Conditions[i]
		}
	}
	return nil
}

func storeReady(store esv1.GenericStore) bool {
	c := storeReadyCondition(store)
	return c != nil && c.Status == metav1.ConditionTrue
}
