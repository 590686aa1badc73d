package storeref

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/conditions"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/storeaccess"
)

// Key identifies a store reference with its kind defaulted.
type Key struct{ Kind, Name string }

// KeyOf defaults an empty kind to SecretStore, as the API does.
func KeyOf(ref esv1.SecretStoreRef) Key {
	kind := ref.Kind
	if kind == "" {
		kind = esv1.SecretStoreKind
	}
	return Key{Kind: kind, Name: ref.Name}
}

func (k Key) String() string { return k.Kind + "/" + k.Name }

// New returns an empty store object of the kind.
func New(kind string) esv1.GenericStore {
	if kind == esv1.ClusterSecretStoreKind {
		return &esv1.ClusterSecretStore{}
	}
	return &esv1.SecretStore{}
}

// Resolver resolves store references on behalf of objects in a namespace.
type Resolver struct {
	// Reader reads stores and Namespaces (the manager's cached client).
	Reader client.Reader
	// ControllerClass is this instance's --controller-class: stores of another class are
	// another instance's.
	ControllerClass string
	// Namespaces, when set, are the only namespaces this instance serves: ClusterSecretStores
	// are then refused, as an identity with Roles only may not read them.
	Namespaces []string
	// Live, when set, is an uncached reader asked before a store is reported missing: the
	// cache may not have seen yet a store created together with the object, and a store of
	// another controller class must not get the object a StoreNotFound from this instance.
	Live client.Reader
}

// Get reads the store k names for an object in namespace and checks that the object may
// use it. Failures carry their reason: StoreNotFound, StoreNotReady, StoreNotAllowed,
// ProviderNotImplemented, or NotOurs when another controller class handles it.
func (r Resolver) Get(ctx context.Context, k Key, namespace string) (esv1.GenericStore, error) {
	if k.Name == "" {
		return nil, failure.Permanent(esv1.ReasonInvalidSpec, "store reference without a name: name the SecretStore or ClusterSecretStore to use")
	}
	if err := r.kindServed(k.Kind); err != nil {
		return nil, err
	}
	store := New(k.Kind)
	key := client.ObjectKey{Name: k.Name}
	if k.Kind == esv1.SecretStoreKind {
		key.Namespace = namespace
	}
	err := r.Reader.Get(ctx, key, store)
	if apierrors.IsNotFound(err) && r.Live != nil {
		err = r.Live.Get(ctx, key, store)
	}
	if err != nil {
		if !apierrors.IsNotFound(err) {
			return nil, failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("reading %s: %w", k, err))
		}
		if r.ControllerClass != "" {
			// Only the default instance reports missing stores.
			return nil, failure.NotOurs(err)
		}
		where := ""
		if k.Kind == esv1.SecretStoreKind {
			where = " in namespace " + namespace
		}
		return nil, failure.Permanent(esv1.ReasonStoreNotFound, "%s %q not found%s: create it or fix the store reference", k.Kind, k.Name, where)
	}
	if err := r.Check(ctx, store, namespace); err != nil {
		return nil, err
	}
	return store, nil
}

// List reads the stores of a kind whose labels match sel that this instance handles, for an
// object in namespace (SecretStores of that namespace only). Each is checked as Get does;
// stores of another controller class are left out, and when every store found is another
// class's, List fails with NotOurs so that the caller leaves the object alone.
func (r Resolver) List(ctx context.Context, kind, namespace string, sel labels.Selector) ([]esv1.GenericStore, error) {
	if err := r.kindServed(kind); err != nil {
		return nil, err
	}
	found, err := r.list(ctx, kind, namespace, sel)
	if err != nil {
		return nil, failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("listing %ss: %w", kind, err))
	}
	var out []esv1.GenericStore
	for _, store := range found {
		err := r.Check(ctx, store, namespace)
		switch {
		case failure.IsNotOurs(err):
			continue
		case err != nil:
			return nil, err
		}
		out = append(out, store)
	}
	if len(out) == 0 && len(found) > 0 {
		return nil, failure.NotOurs(fmt.Errorf("every %s matching %s belongs to another controller class", kind, sel))
	}
	return out, nil
}

func (r Resolver) list(ctx context.Context, kind, namespace string, sel labels.Selector) ([]esv1.GenericStore, error) {
	var out []esv1.GenericStore
	if kind == esv1.ClusterSecretStoreKind {
		var list esv1.ClusterSecretStoreList
		if err := r.Reader.List(ctx, &list, client.MatchingLabelsSelector{Selector: sel}); err != nil {
			return nil, err
		}
		for i := range list.Items {
			out = append(out, &list.Items[i])
		}
		return out, nil
	}
	var list esv1.SecretStoreList
	if err := r.Reader.List(ctx, &list, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, err
	}
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	return out, nil
}

func (r Resolver) kindServed(kind string) error {
	if kind == esv1.ClusterSecretStoreKind && len(r.Namespaces) > 0 {
		return failure.Permanent(esv1.ReasonStoreNotAllowed,
			"this Ferry serves only %s (--namespaces) and no ClusterSecretStores: use a SecretStore in the namespace", Served(r.Namespaces))
	}
	return nil
}

// Served names the namespaces an instance restricted by --namespaces serves, for messages:
// "namespace a" or "namespaces a, b".
func Served(namespaces []string) string {
	if len(namespaces) == 1 {
		return "namespace " + namespaces[0]
	}
	return "namespaces " + strings.Join(namespaces, ", ")
}

// Check says whether an object in namespace may use store: same controller class, Ready,
// and (for a ClusterSecretStore) a namespace its conditions select.
func (r Resolver) Check(ctx context.Context, store esv1.GenericStore, namespace string) error {
	kind, name := store.GetKind(), store.GetName()
	if class := store.GetSpec().Controller; class != r.ControllerClass {
		return failure.NotOurs(fmt.Errorf("%s %q belongs to controller class %q", kind, name, class))
	}
	if err := readiness(kind, store); err != nil {
		return err
	}
	allowed, err := storeaccess.Allowed(ctx, r.Reader, store, namespace)
	if err != nil {
		return failure.Transient(esv1.ReasonSecretSyncedError, err)
	}
	if !allowed {
		return failure.Permanent(esv1.ReasonStoreNotAllowed,
			"ClusterSecretStore %q does not serve namespace %s: its spec.conditions match other namespaces", name, namespace)
	}
	return nil
}

// NotValidatedYet is what a condition says of a store whose own controller has not looked at
// it yet: a store created just before the objects that use it passes through this state.
const NotValidatedYet = "it has not been validated yet"

// readiness turns a store's Ready condition into a failure, keeping the store's own reason
// where it tells the user more than "not ready" (a provider Ferry does not implement).
func readiness(kind string, store esv1.GenericStore) error {
	c := ReadyCondition(store)
	if c != nil && c.Status == metav1.ConditionTrue {
		return nil
	}
	if c != nil && c.Reason == esv1.ReasonProviderNotImplemented {
		return failure.Permanent(esv1.ReasonProviderNotImplemented, "%s %q: %s", kind, store.GetName(), c.Message)
	}
	msg := NotValidatedYet
	if c != nil && c.Message != "" {
		msg = c.Message
	}
	return failure.Permanent(esv1.ReasonStoreNotReady, "%s %q is not ready: %s", kind, store.GetName(), msg)
}

// ReadyCondition returns the store's Ready condition, or nil.
func ReadyCondition(store esv1.GenericStore) *esv1.SecretStoreStatusCondition {
	return conditions.Find(store.GetStatus().Conditions, string(esv1.SecretStoreReady))
}

// Ready says whether the store's Ready condition is True.
func Ready(store esv1.GenericStore) bool {
	return conditions.IsTrue(store.GetStatus().Conditions, string(esv1.SecretStoreReady))
}
