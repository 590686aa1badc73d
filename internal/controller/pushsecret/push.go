package pushsecret

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/storeref"
)

// push writes every data entry to every store and returns what was pushed.
func (r *Reconciler) push(ctx context.Context, ps *esv1alpha1.PushSecret, stores []store, data map[string][]byte,
	source *provider.SourceMeta) (esv1alpha1.SyncedPushSecretsMap, error) {
	pushed := esv1alpha1.SyncedPushSecretsMap{}
	for _, st := range stores {
		w, err := r.Fetcher.Writer(ctx, fetch.Source{Store: st.obj, Namespace: ps.Namespace})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st.key, redact.Foreign(err))
		}
		entries, err := entriesFor(ps, st, data)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			ref := remoteRef(e.data)
			ref.Source = source
			ref.Objects = provider.ObjectsIn(r.APIReader, ps.Namespace)
			if ps.Spec.UpdatePolicy == esv1alpha1.PushSecretUpdatePolicyIfNotExists && !wasPushed(ps, st.key, ref) {
				exists, err := w.SecretExists(ctx, ref)
				if errors.Is(err, provider.ErrInvalidMetadata) {
					return nil, failure.Permanent(esv1.ReasonInvalidSpec, "%s: %s: %v", st.key, e.field, err)
				}
				if err != nil {
					return nil, fmt.Errorf("%s: %s: checking remote key %q: %w", st.key, e.field, ref.RemoteKey, redact.Foreign(err))
				}
				if exists {
					continue // updatePolicy IfNotExists: leave it alone
				}
			}
			if err := w.PushSecret(ctx, e.value, ref); err != nil {
				if errors.Is(err, provider.ErrInvalidMetadata) {
					// Only the user can fix it: wait for a change rather than retry.
					return nil, failure.Permanent(esv1.ReasonInvalidSpec, "%s: %s: %v", st.key, e.field, err)
				}
				return nil, fmt.Errorf("%s: %s: pushing to remote key %q: %w", st.key, e.field, ref.RemoteKey, redact.Foreign(err))
			}
			if r.Changes != nil && ps.Spec.UpdatePolicy != esv1alpha1.PushSecretUpdatePolicyIfNotExists && ps.Spec.Selector.GeneratorRef == nil {
				// A change of the key by anyone else is reported back here and pushed over
				// (not for IfNotExists, which leaves a key alone once written, nor for
				// generated values, which change only when due).
				r.Fetcher.Wrote(fetch.Source{Store: st.obj, Namespace: ps.Namespace, Reader: writerOf(ps.Namespace, ps.Name)}, ref.RemoteKey)
			}
			if pushed[st.key] == nil {
				pushed[st.key] = map[string]esv1alpha1.PushSecretData{}
			}
			pushed[st.key][syncedKey(ref)] = e.data
		}
	}
	return pushed, nil
}

// remoteRef is where an entry is pushed, and so where its delete goes: under
// conversionStrategy ReverseUnicode, a property escaped by an ExternalSecret's Unicode
// conversion ("db_U002e_host") is pushed under its original name ("db.host").
func remoteRef(d esv1alpha1.PushSecretData) provider.PushRef {
	ref := provider.PushRef{RemoteKey: d.Match.RemoteRef.RemoteKey, Property: d.Match.RemoteRef.Property,
		SecretKey: d.Match.SecretKey, Metadata: d.Metadata}
	if d.ConversionStrategy == esv1alpha1.PushSecretConversionReverseUnicode {
		ref.Property = reverseUnicode(ref.Property)
	}
	return ref
}

func syncedKey(ref provider.PushRef) string {
	if ref.Property != "" {
		return ref.RemoteKey + "/" + ref.Property
	}
	return ref.RemoteKey
}

func wasPushed(ps *esv1alpha1.PushSecret, storeKey string, ref provider.PushRef) bool {
	_, ok := ps.Status.SyncedPushSecrets[storeKey][syncedKey(ref)]
	return ok
}

// deleteStale removes, with deletionPolicy Delete, values pushed before that are no longer pushed.
func (r *Reconciler) deleteStale(ctx context.Context, ps *esv1alpha1.PushSecret, pushed esv1alpha1.SyncedPushSecretsMap) error {
	if ps.Spec.DeletionPolicy != esv1alpha1.PushSecretDeletionPolicyDelete {
		return nil
	}
	for storeKey, entries := range ps.Status.SyncedPushSecrets {
		for key, d := range entries {
			if _, still := pushed[storeKey][key]; still {
				continue
			}
			if err := r.deleteRemote(ctx, ps, storeKey, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteRemote deletes one pushed entry through the store it was pushed to. A store that is
// gone can delete nothing; that is not an error.
func (r *Reconciler) deleteRemote(ctx context.Context, ps *esv1alpha1.PushSecret, storeKey string, d esv1alpha1.PushSecretData) error {
	kind, name, ok := strings.Cut(storeKey, "/")
	if !ok {
		kind, name = esv1.SecretStoreKind, storeKey
	}
	st := storeref.New(kind)
	key := client.ObjectKey{Name: name}
	if kind == esv1.SecretStoreKind {
		key.Namespace = ps.Namespace
	}
	if err := r.Client.Get(ctx, key, st); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("reading %s: %w", storeKey, err)
	}
	w, err := r.Fetcher.Writer(ctx, fetch.Source{Store: st, Namespace: ps.Namespace})
	if err != nil {
		return fmt.Errorf("%s: %w", storeKey, redact.Foreign(err))
	}
	ref := remoteRef(d)
	if err := w.DeleteSecret(ctx, ref); err != nil {
		return fmt.Errorf("%s: deleting remote key %q: %w", storeKey, ref.RemoteKey, redact.Foreign(err))
	}
	r.Recorder.Eventf(ps, nil, corev1.EventTypeNormal, "Deleted", "Push", "Deleted remote key %s from %s", ref.RemoteKey, storeKey)
	return nil
}

func (r *Reconciler) ensureFinalizer(ctx context.Context, ps *esv1alpha1.PushSecret) error {
	want := ps.Spec.DeletionPolicy == esv1alpha1.PushSecretDeletionPolicyDelete
	if want == controllerutil.ContainsFinalizer(ps, Finalizer) {
		return nil
	}
	if want {
		controllerutil.AddFinalizer(ps, Finalizer)
	} else {
		controllerutil.RemoveFinalizer(ps, Finalizer)
	}
	if err := r.Client.Update(ctx, ps); err != nil {
		return fmt.Errorf("updating finalizers: %w", err)
	}
	return nil
}

// finalize deletes everything pushed when deletionPolicy is still Delete, and releases the
// PushSecret.
func (r *Reconciler) finalize(ctx context.Context, ps *esv1alpha1.PushSecret) error {
	if !controllerutil.ContainsFinalizer(ps, Finalizer) {
		return nil
	}
	// The policy read now is the user's last word: a PushSecret switched to None and deleted
	// before a reconcile took its finalizer off leaves what it pushed in place, as ESO does.
	if ps.Spec.DeletionPolicy != esv1alpha1.PushSecretDeletionPolicyDelete {
		controllerutil.RemoveFinalizer(ps, Finalizer)
		return r.Client.Update(ctx, ps)
	}
	for storeKey, entries := range ps.Status.SyncedPushSecrets {
		for _, d := range entries {
			if err := r.deleteRemote(ctx, ps, storeKey, d); err != nil {
				return err
			}
		}
	}
	controllerutil.RemoveFinalizer(ps, Finalizer)
	return r.Client.Update(ctx, ps)
}
