package pushsecret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/storeaccess"
	"github.com/ferryhq/ferry/internal/template"
)

// Finalizer holds a PushSecret with deletionPolicy Delete until what it pushed is deleted.
const Finalizer = "pushsecret.externalsecrets.io/finalizer"

// Condition reasons, as ESO names them.
const (
	ReasonSynced  = "Synced"
	ReasonErrored = "Errored"
)

// Reconciler pushes Secrets to stores.
type Reconciler struct {
	Client client.Client
	// APIReader reads the source Secrets, which are not in the (managed-only) cache.
	APIReader       client.Reader
	Fetcher         *fetch.Fetcher
	Recorder        events.EventRecorder
	ControllerClass string
	// Namespace is set when Ferry serves one namespace (--namespace): ClusterSecretStores
	// are then neither watched nor used.
	Namespace string
}

// Reconcile runs get → finalizer → read the source → push to each store → delete what is no
// longer pushed → one status patch.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ps := &esv1alpha1.PushSecret{}
	if err := r.Client.Get(ctx, req.NamespacedName, ps); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !ps.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finalize(ctx, ps)
	}
	if err := r.ensureFinalizer(ctx, ps); err != nil {
		return ctrl.Result{}, err
	}
	before := ps.DeepCopy()
	interval := refreshInterval(ps)

	// Every value read from the source is redacted from the condition and event.
	secrets := redact.New()
	synced, pushErr := r.push(ctx, ps, secrets)
	if pushErr == nil {
		pushErr = r.deleteStale(ctx, ps, synced)
	}
	now := metav1.Now()
	if pushErr != nil {
		setReady(ps, metav1.ConditionFalse, ReasonErrored, secrets.String(pushErr.Error()), now)
	} else {
		setReady(ps, metav1.ConditionTrue, ReasonSynced, "PushSecret synced successfully", now)
		ps.Status.SyncedPushSecrets = synced
		ps.Status.SyncedResourceVersion = fmt.Sprint(ps.Generation)
		if !equality.Semantic.DeepEqual(before.Status.SyncedPushSecrets, synced) || before.Status.RefreshTime.IsZero() {
			ps.Status.RefreshTime = now
		}
	}
	if err := r.patchStatus(ctx, before, ps); err != nil {
		return ctrl.Result{}, err
	}
	if pushErr != nil {
		return ctrl.Result{RequeueAfter: min(interval, time.Minute)}, nil
	}
	return ctrl.Result{RequeueAfter: interval}, nil
}

func refreshInterval(ps *esv1alpha1.PushSecret) time.Duration {
	if d := ps.Spec.RefreshInterval; d != nil && d.Err() == nil && d.Duration > 0 {
		return d.Duration
	}
	return time.Hour
}

// push writes every data entry to every selected store and returns what was pushed. It
// records the values it reads in secrets.
func (r *Reconciler) push(ctx context.Context, ps *esv1alpha1.PushSecret, secrets *redact.Set) (esv1alpha1.SyncedPushSecretsMap, error) {
	if len(ps.Spec.DataTo) > 0 {
		return nil, errors.New("spec.dataTo is not supported by this version of Ferry yet; use spec.data")
	}
	if ps.Spec.Selector.GeneratorRef != nil {
		return nil, errors.New("spec.selector.generatorRef is not supported by this version of Ferry yet; push a Secret")
	}
	data, err := r.sourceData(ctx, ps, secrets)
	if err != nil {
		return nil, err
	}
	stores, err := r.stores(ctx, ps)
	if err != nil {
		return nil, err
	}
	synced := esv1alpha1.SyncedPushSecretsMap{}
	for _, store := range stores {
		storeKey := store.GetKind() + "/" + store.GetName()
		w, err := r.Fetcher.Writer(ctx, fetch.Source{Store: store, Namespace: ps.Namespace})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", storeKey, err)
		}
		for i, d := range ps.Spec.Data {
			value, err := entryValue(data, d.Match.SecretKey, d.ConversionStrategy)
			if err != nil {
				return nil, fmt.Errorf("spec.data[%d]: %w", i, err)
			}
			ref := provider.PushRef{RemoteKey: d.Match.RemoteRef.RemoteKey, Property: d.Match.RemoteRef.Property, Metadata: d.Metadata}
			if d.ConversionStrategy == esv1alpha1.PushSecretConversionReverseUnicode {
				ref.Property = reverseUnicode(ref.Property)
			}
			if ps.Spec.UpdatePolicy == esv1alpha1.PushSecretUpdatePolicyIfNotExists && !wasPushed(ps, storeKey, ref) {
				exists, err := w.SecretExists(ctx, ref)
				if err != nil {
					return nil, fmt.Errorf("%s: spec.data[%d]: checking remote key %q: %w", storeKey, i, ref.RemoteKey, err)
				}
				if exists {
					continue // updatePolicy IfNotExists: leave it alone
				}
			}
			if err := w.PushSecret(ctx, value, ref); err != nil {
				return nil, fmt.Errorf("%s: spec.data[%d]: pushing to remote key %q: %w", storeKey, i, ref.RemoteKey, err)
			}
			if synced[storeKey] == nil {
				synced[storeKey] = map[string]esv1alpha1.PushSecretData{}
			}
			synced[storeKey][syncedKey(ref)] = d
		}
	}
	return synced, nil
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

// entryValue is one key of the source data, or (no key) the whole data as a JSON object.
func entryValue(data map[string][]byte, secretKey string, conversion esv1alpha1.PushSecretConversionStrategy) ([]byte, error) {
	if secretKey == "" {
		obj := make(map[string]string, len(data))
		for k, v := range data {
			if conversion == esv1alpha1.PushSecretConversionReverseUnicode {
				k = reverseUnicode(k)
			}
			obj[k] = string(v)
		}
		return json.Marshal(obj)
	}
	v, ok := data[secretKey]
	if !ok {
		return nil, fmt.Errorf("the source Secret has no key %q", secretKey)
	}
	return v, nil
}

// sourceData reads the selected Secret (or the Secrets matching the selector, merged in
// name order) of the PushSecret's namespace, then applies spec.template. It records every
// value read or rendered in secrets.
func (r *Reconciler) sourceData(ctx context.Context, ps *esv1alpha1.PushSecret, secrets *redact.Set) (map[string][]byte, error) {
	sel := ps.Spec.Selector.Secret
	if sel == nil {
		return nil, errors.New("spec.selector.secret: required")
	}
	data := map[string][]byte{}
	switch {
	case sel.Name != "":
		var s corev1.Secret
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ps.Namespace, Name: sel.Name}, &s); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("source Secret %s not found in namespace %s", sel.Name, ps.Namespace)
			}
			return nil, fmt.Errorf("reading source Secret %s: %w", sel.Name, err)
		}
		secrets.AddMap(s.Data)
		maps.Copy(data, s.Data)
	case sel.Selector != nil:
		s, err := metav1.LabelSelectorAsSelector(sel.Selector)
		if err != nil {
			return nil, fmt.Errorf("spec.selector.secret.selector: %w", err)
		}
		var list corev1.SecretList
		if err := r.APIReader.List(ctx, &list, client.InNamespace(ps.Namespace), client.MatchingLabelsSelector{Selector: s}); err != nil {
			return nil, fmt.Errorf("listing source Secrets: %w", err)
		}
		slices.SortFunc(list.Items, func(a, b corev1.Secret) int { return strings.Compare(a.Name, b.Name) })
		for _, s := range list.Items {
			secrets.AddMap(s.Data)
			maps.Copy(data, s.Data)
		}
	default:
		return nil, errors.New("spec.selector.secret: set name or selector")
	}
	if t := ps.Spec.Template; t != nil && len(t.Data) > 0 {
		renderer, err := template.New(template.Engine(t.EngineVersion), data)
		if err != nil {
			return nil, fmt.Errorf("spec.template: %w", err)
		}
		out := map[string][]byte{}
		if t.MergePolicy == esv1.MergePolicyMerge {
			maps.Copy(out, data)
		}
		if err := renderer.Render(t.Data, template.ScopeValues, out); err != nil {
			return nil, fmt.Errorf("spec.template.data: %w", err)
		}
		secrets.AddMap(out)
		data = out
	}
	return data, nil
}

// stores resolves spec.secretStoreRefs to Ready stores this instance handles and that may
// serve the PushSecret's namespace.
func (r *Reconciler) stores(ctx context.Context, ps *esv1alpha1.PushSecret) ([]esv1.GenericStore, error) {
	var out []esv1.GenericStore
	for i, ref := range ps.Spec.SecretStoreRefs {
		kind := ref.Kind
		if kind == "" {
			kind = esv1.SecretStoreKind
		}
		if kind == esv1.ClusterSecretStoreKind && r.Namespace != "" {
			return nil, fmt.Errorf("spec.secretStoreRefs[%d]: this Ferry serves only namespace %s (--namespace) and no ClusterSecretStores: use a SecretStore in the namespace",
				i, r.Namespace)
		}
		var found []esv1.GenericStore
		switch {
		case ref.Name != "":
			store := newStore(kind)
			key := client.ObjectKey{Name: ref.Name}
			if kind == esv1.SecretStoreKind {
				key.Namespace = ps.Namespace
			}
			if err := r.Client.Get(ctx, key, store); err != nil {
				if apierrors.IsNotFound(err) {
					return nil, fmt.Errorf("spec.secretStoreRefs[%d]: %s %q not found", i, kind, ref.Name)
				}
				return nil, err
			}
			found = append(found, store)
		case ref.LabelSelector != nil:
			sel, err := metav1.LabelSelectorAsSelector(ref.LabelSelector)
			if err != nil {
				return nil, fmt.Errorf("spec.secretStoreRefs[%d].labelSelector: %w", i, err)
			}
			found, err = r.listStores(ctx, kind, ps.Namespace, sel)
			if err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("spec.secretStoreRefs[%d]: set name or labelSelector", i)
		}
		for _, store := range found {
			if store.GetSpec().Controller != r.ControllerClass {
				continue
			}
			if !ready(store) {
				return nil, fmt.Errorf("%s %q is not ready", kind, store.GetName())
			}
			allowed, err := storeaccess.Allowed(ctx, r.Client, store, ps.Namespace)
			if err != nil {
				return nil, err
			}
			if !allowed {
				return nil, fmt.Errorf("%s %q does not serve namespace %s", kind, store.GetName(), ps.Namespace)
			}
			out = append(out, store)
		}
	}
	return out, nil
}

// listStores lists the stores of a kind whose labels match sel (SecretStores of the
// PushSecret's namespace only).
func (r *Reconciler) listStores(ctx context.Context, kind, namespace string, sel labels.Selector) ([]esv1.GenericStore, error) {
	var out []esv1.GenericStore
	if kind == esv1.ClusterSecretStoreKind {
		var list esv1.ClusterSecretStoreList
		if err := r.Client.List(ctx, &list, client.MatchingLabelsSelector{Selector: sel}); err != nil {
			return nil, err
		}
		for i := range list.Items {
			out = append(out, &list.Items[i])
		}
		return out, nil
	}
	var list esv1.SecretStoreList
	if err := r.Client.List(ctx, &list, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, err
	}
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	return out, nil
}

func newStore(kind string) esv1.GenericStore {
	if kind == esv1.ClusterSecretStoreKind {
		return &esv1.ClusterSecretStore{}
	}
	return &esv1.SecretStore{}
}

func ready(store esv1.GenericStore) bool {
	for _, c := range store.GetStatus().Conditions {
		if c.Type == esv1.SecretStoreReady {
			return c.Status == metav1.ConditionTrue
		}
	}
	return false
}

// deleteStale removes, with deletionPolicy Delete, values pushed before that are no longer pushed.
func (r *Reconciler) deleteStale(ctx context.Context, ps *esv1alpha1.PushSecret, synced esv1alpha1.SyncedPushSecretsMap) error {
	if ps.Spec.DeletionPolicy != esv1alpha1.PushSecretDeletionPolicyDelete {
		return nil
	}
	for storeKey, entries := range ps.Status.SyncedPushSecrets {
		for key, d := range entries {
			if _, still := synced[storeKey][key]; still {
				continue
			}
			if err := r.deleteRemote(ctx, ps, storeKey, d); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Reconciler) deleteRemote(ctx context.Context, ps *esv1alpha1.PushSecret, storeKey string, d esv1alpha1.PushSecretData) error {
	kind, name, _ := cutStoreKey(storeKey)
	store := newStore(kind)
	key := client.ObjectKey{Name: name}
	if kind == esv1.SecretStoreKind {
		key.Namespace = ps.Namespace
	}
	if err := r.Client.Get(ctx, key, store); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // the store is gone; nothing can be deleted through it
		}
		return err
	}
	w, err := r.Fetcher.Writer(ctx, fetch.Source{Store: store, Namespace: ps.Namespace})
	if err != nil {
		return fmt.Errorf("%s: %w", storeKey, err)
	}
	ref := provider.PushRef{RemoteKey: d.Match.RemoteRef.RemoteKey, Property: d.Match.RemoteRef.Property, Metadata: d.Metadata}
	if err := w.DeleteSecret(ctx, ref); err != nil {
		return fmt.Errorf("%s: deleting remote key %q: %w", storeKey, ref.RemoteKey, err)
	}
	r.Recorder.Eventf(ps, nil, corev1.EventTypeNormal, "Deleted", "Push", "Deleted remote key %s from %s", ref.RemoteKey, storeKey)
	return nil
}

func cutStoreKey(storeKey string) (kind, name string, ok bool) {
	if kind, name, ok = strings.Cut(storeKey, "/"); ok {
		return kind, name, true
	}
	return esv1.SecretStoreKind, storeKey, false
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

// finalize deletes everything pushed (deletionPolicy Delete) and releases the PushSecret.
func (r *Reconciler) finalize(ctx context.Context, ps *esv1alpha1.PushSecret) error {
	if !controllerutil.ContainsFinalizer(ps, Finalizer) {
		return nil
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

func setReady(ps *esv1alpha1.PushSecret, status metav1.ConditionStatus, reason, message string, now metav1.Time) {
	cond := esv1alpha1.PushSecretStatusCondition{Type: "Ready", Status: status, Reason: reason, Message: message, LastTransitionTime: now}
	for i, c := range ps.Status.Conditions {
		if c.Type == "Ready" {
			if c.Status == status {
				cond.LastTransitionTime = c.LastTransitionTime
			}
			ps.Status.Conditions[i] = cond
			return
		}
	}
	ps.Status.Conditions = append(ps.Status.Conditions, cond)
}

func (r *Reconciler) patchStatus(ctx context.Context, before, ps *esv1alpha1.PushSecret) error {
	if equality.Semantic.DeepEqual(before.Status, ps.Status) {
		return nil
	}
	for _, c := range ps.Status.Conditions {
		if c.Type == "Ready" && c.Status != metav1.ConditionTrue {
			r.Recorder.Eventf(ps, nil, corev1.EventTypeWarning, c.Reason, "Push", "%s", c.Message)
		}
	}
	patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	if err := r.Client.Status().Patch(ctx, ps, patch); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patching PushSecret status: %w", err)
	}
	return nil
}

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	changed := predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{})
	return ctrl.NewControllerManagedBy(mgr).
		Named("pushsecret").
		For(&esv1alpha1.PushSecret{}, builder.WithPredicates(changed)).
		WithOptions(opts).
		Complete(r)
}

// unicodeEscape is how an ExternalSecret's conversionStrategy Unicode writes a character
// that a Secret key cannot hold: "_U" and its code point in hex, then "_".
var unicodeEscape = regexp.MustCompile(`_U([0-9a-fA-F]{4,6})_`)

// reverseUnicode undoes conversionStrategy Unicode, so a key read as "db_U002e_host"
// is pushed back as "db.host" (conversionStrategy ReverseUnicode).
func reverseUnicode(key string) string {
	return unicodeEscape.ReplaceAllStringFunc(key, func(m string) string {
		n, err := strconv.ParseUint(m[2:len(m)-1], 16, 24) // at most 6 hex digits
		if err != nil || !utf8.ValidRune(rune(n)) {        //nolint:gosec // below 2^24, it fits a rune
			return m
		}
		return string(rune(n)) //nolint:gosec // below 2^24, it fits a rune
	})
}
