package secretstore

import (
	"context"
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/changefeed"
	"github.com/ferryhq/ferry/internal/conditions"
	"github.com/ferryhq/ferry/internal/controller/statuswrite"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/metrics"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/storeref"
	"github.com/ferryhq/ferry/internal/validation"
)

// retryFailed is when a store that failed validation against its provider is tried again.
const retryFailed = time.Minute

// Reconciler validates stores of one kind.
type Reconciler struct {
	Client          client.Client
	Fetcher         *fetch.Fetcher
	Recorder        events.EventRecorder
	ControllerClass string
	// Kind is esv1.SecretStoreKind or esv1.ClusterSecretStoreKind.
	Kind string
	// Metrics records each store's Ready condition and reconcile duration; nil records nothing.
	Metrics *metrics.Metrics
	// Changes holds the state of stores' change feeds, written as the EventFeed condition;
	// nil writes none.
	Changes *changefeed.Hub
}

func (r *Reconciler) newStore() esv1.GenericStore {
	if r.Kind == esv1.ClusterSecretStoreKind {
		return &esv1.ClusterSecretStore{}
	}
	return &esv1.SecretStore{}
}

// Reconcile validates one store and writes its status when it changed.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	start := time.Now()
	store := r.newStore()
	if err := r.Client.Get(ctx, req.NamespacedName, store); err != nil {
		if apierrors.IsNotFound(err) {
			r.Fetcher.Forget(r.Kind, req.Namespace, req.Name)
			r.Metrics.Forget(r.metricsKind(), req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if store.GetSpec().Controller != r.ControllerClass || !store.GetDeletionTimestamp().IsZero() {
		r.Metrics.Forget(r.metricsKind(), req.NamespacedName)
		return ctrl.Result{}, nil
	}
	before := store.DeepCopyObject().(esv1.GenericStore)

	v := r.validate(ctx, store)
	setReady(store, v)
	r.setFeedCondition(store)
	r.Metrics.Reconciled(r.metricsKind(), req.NamespacedName, string(v.status), time.Since(start))
	result := ctrl.Result{RequeueAfter: revalidateAfter(store)}
	if v.status != metav1.ConditionTrue && v.reason != esv1.ReasonInvalidProviderConfig && v.reason != esv1.ReasonProviderNotImplemented {
		result = ctrl.Result{RequeueAfter: retryFailed}
	}
	return statuswrite.Result(r.patchStatus(ctx, before, store), result)
}

// metricsKind names the kind's series: secretstore_* or clustersecretstore_*.
func (r *Reconciler) metricsKind() metrics.Kind {
	if r.Kind == esv1.ClusterSecretStoreKind {
		return metrics.ClusterSecretStore
	}
	return metrics.SecretStore
}

// verdict is the outcome of a validation.
type verdict struct {
	status       metav1.ConditionStatus
	reason, msg  string
	capabilities esv1.SecretStoreCapabilities
}

// validate checks the spec, then the provider's configuration, then asks the provider.
func (r *Reconciler) validate(ctx context.Context, store esv1.GenericStore) verdict {
	invalid := func(err error) verdict {
		return verdict{status: metav1.ConditionFalse, reason: esv1.ReasonInvalidProviderConfig, msg: err.Error()}
	}
	if err := validation.Store(store); err != nil {
		return invalid(err)
	}
	p, err := r.Fetcher.Registry().ForStore(store)
	var notImplemented *provider.NotImplementedError
	switch {
	case errors.As(err, &notImplemented):
		return verdict{status: metav1.ConditionFalse, reason: esv1.ReasonProviderNotImplemented, msg: err.Error()}
	case err != nil:
		return invalid(err)
	}
	if err := p.ValidateStore(store); err != nil {
		return invalid(err)
	}
	result, err := r.Fetcher.Validate(ctx, fetch.Source{Store: store, Namespace: store.GetNamespace()})
	switch {
	case errors.Is(err, provider.ErrNeedsNamespace):
		return verdict{status: metav1.ConditionTrue, reason: esv1.ReasonValidationUnknown,
			msg:          "store configuration is valid; its credentials depend on each ExternalSecret's namespace, so they are checked per use",
			capabilities: p.Capabilities()}
	case err != nil || result == esv1.ValidationResultError:
		if err == nil {
			err = errors.New("the provider reported an error")
		}
		// The provider's own words may repeat the credentials it was sent: a Set of its
		// own is empty, but every Set redacts the process's credentials.
		return verdict{status: metav1.ConditionFalse, reason: esv1.ReasonValidationFailed,
			msg: "could not validate the store against its provider: " + redact.New().Message(redact.Foreign(err))}
	case result == esv1.ValidationResultUnknown:
		return verdict{status: metav1.ConditionTrue, reason: esv1.ReasonValidationUnknown,
			msg: "store configuration is valid; the provider could not confirm access", capabilities: p.Capabilities()}
	}
	return verdict{status: metav1.ConditionTrue, reason: esv1.ReasonStoreValid, msg: "store validated", capabilities: p.Capabilities()}
}

// setReady sets the Ready condition and capabilities from a verdict.
func setReady(store esv1.GenericStore, v verdict) {
	status := store.GetStatus()
	status.Capabilities = v.capabilities
	conditions.Set(&status.Conditions, esv1.SecretStoreStatusCondition{Type: esv1.SecretStoreReady, Status: v.status,
		Reason: v.reason, Message: v.msg, LastTransitionTime: metav1.Now()})
}

func (r *Reconciler) patchStatus(ctx context.Context, before, store esv1.GenericStore) error {
	if equality.Semantic.DeepEqual(before.GetStatus(), store.GetStatus()) {
		return nil
	}
	prev, c := storeref.ReadyCondition(before), storeref.ReadyCondition(store)
	if c != nil && (prev == nil || prev.Reason != c.Reason || prev.Message != c.Message) {
		eventType := corev1.EventTypeNormal
		if c.Status != metav1.ConditionTrue {
			eventType = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(store, nil, eventType, c.Reason, "Validate", "%s", c.Message)
	}
	return statuswrite.Patch(ctx, r.Client, before, store, r.Kind)
}

// revalidateAfter is spec.refreshInterval (seconds, or a duration string); 0 means only on change.
func revalidateAfter(store esv1.GenericStore) time.Duration {
	ri := store.GetSpec().RefreshInterval
	if ri == nil {
		return 0
	}
	if ri.Type == intstr.Int {
		return time.Duration(ri.IntVal) * time.Second
	}
	d, err := time.ParseDuration(ri.StrVal)
	if err != nil {
		return 0
	}
	return d
}

// SetupWithManager registers the controller for r.Kind.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	b := ctrl.NewControllerManagedBy(mgr).
		Named(map[string]string{esv1.SecretStoreKind: "secretstore", esv1.ClusterSecretStoreKind: "clustersecretstore"}[r.Kind]).
		For(r.newStore(), builder.WithPredicates(predicate.GenerationChangedPredicate{}))
	if r.Changes != nil {
		// Stores whose change feed changed state.
		b = b.WatchesRawSource(r.Changes.Source(r.Kind))
	}
	return b.WithOptions(opts).Complete(r)
}

// setFeedCondition sets the EventFeed condition from the store's change feed, or removes it
// when the store has none.
func (r *Reconciler) setFeedCondition(store esv1.GenericStore) {
	if r.Changes == nil {
		return
	}
	var state *changefeed.FeedState
	if s, ok := r.Changes.Feed(fetch.StoreIDOf(store)); ok {
		state = &s
	}
	changefeed.SetFeedCondition(store.GetStatus(), state)
}
