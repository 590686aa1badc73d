package pushsecret

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/controller/statuswrite"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/metrics"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/shard"
	"github.com/ferryhq/ferry/internal/storeref"
	"github.com/ferryhq/ferry/internal/validation"
)

// Finalizer holds a PushSecret with deletionPolicy Delete until what it pushed is deleted.
const Finalizer = "pushsecret.externalsecrets.io/finalizer"

// Condition reasons, as ESO names them. A failure with a more precise reason (a store not
// found or not ready, an invalid spec) carries that reason instead of Errored.
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
	// Namespaces is set when Ferry serves only those namespaces (--namespaces):
	// ClusterSecretStores are then neither watched nor used.
	Namespaces []string
	// Metrics records each PushSecret's Ready condition and reconcile duration; nil records
	// nothing.
	Metrics *metrics.Metrics
	// Shards, when set, confines the controller to the objects of this replica's shards and
	// runs it on every replica, leader or not; nil reconciles every object (on the leader).
	Shards *shard.Gate
}

// scope is what one reconcile works on.
type scope struct {
	ps     *esv1alpha1.PushSecret
	before *esv1alpha1.PushSecret
	now    metav1.Time
	// secrets holds every value read or rendered, so that no message carries one.
	secrets *redact.Set
}

// Reconcile is the skeleton: get → finalize or resolve stores (another class's object is
// left untouched) → finalizer → push phases → one status patch.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ps := &esv1alpha1.PushSecret{}
	if err := r.Client.Get(ctx, req.NamespacedName, ps); err != nil {
		if apierrors.IsNotFound(err) {
			r.Metrics.Forget(metrics.PushSecret, req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !ps.DeletionTimestamp.IsZero() {
		r.Metrics.Forget(metrics.PushSecret, req.NamespacedName)
		// Deleting what was pushed reads no value, but a provider's error may repeat the
		// credentials it was sent; controller-runtime logs what is returned.
		return ctrl.Result{}, redact.New().Error(r.finalize(ctx, ps))
	}
	stores, storeErr := r.resolveStores(ctx, ps)
	if failure.IsNotOurs(storeErr) {
		r.Metrics.Forget(metrics.PushSecret, req.NamespacedName)
		return ctrl.Result{}, nil
	}
	if err := r.ensureFinalizer(ctx, ps); err != nil {
		return ctrl.Result{}, err
	}
	s := &scope{ps: ps, before: ps.DeepCopy(), now: metav1.Now(), secrets: redact.New()}
	pushed, err := esv1alpha1.SyncedPushSecretsMap(nil), storeErr
	if err == nil {
		pushed, err = r.sync(ctx, s, stores)
	}
	v := decide(err, refreshInterval(ps))
	setStatus(s, v, pushed)
	r.report(s)
	if err := r.patchStatus(ctx, s); err != nil {
		return statuswrite.Result(err, v.result)
	}
	return v.result, s.secrets.Error(v.retry)
}

// sync runs the phases: read the source → push to each store → delete what is no longer
// pushed. It returns what was pushed.
func (r *Reconciler) sync(ctx context.Context, s *scope, stores []store) (esv1alpha1.SyncedPushSecretsMap, error) {
	if err := validate(s.ps); err != nil {
		return nil, err
	}
	data, err := r.sourceData(ctx, s.ps, s.secrets)
	if err != nil {
		return nil, err
	}
	pushed, err := r.push(ctx, s.ps, stores, data)
	if err != nil {
		return nil, err
	}
	return pushed, r.deleteStale(ctx, s.ps, pushed)
}

// validate refuses, before any read, a spec no sync could get past
// (validation.PushSecret) and what this Ferry does not act on
// (validation.UnsupportedPushSecret).
func validate(ps *esv1alpha1.PushSecret) error {
	if err := validation.PushSecret(&ps.Spec); err != nil {
		return failure.Permanent(esv1.ReasonInvalidSpec, "%v", err)
	}
	if err := validation.UnsupportedPushSecret(ps); err != nil {
		return failure.Permanent(esv1.ReasonNotSupported, "%v", err)
	}
	return nil
}

// verdict is what a reconcile concluded: the Ready condition and when to look again.
type verdict struct {
	ready  bool
	reason string
	// message is the Ready condition's message on success; a failure's message is built
	// from failed by the reconcile's redaction (setStatus), never from its raw text.
	message string
	failed  error
	result  ctrl.Result
	// retry is returned to controller-runtime for its backoff (transient failures).
	retry error
}

// decide turns the outcome of the phases into a verdict: success waits for the refresh
// interval; a transient failure is retried with controller-runtime's backoff; a failure
// only the user can fix waits for a change of the spec, or the interval.
func decide(err error, interval time.Duration) verdict {
	switch {
	case err == nil:
		return verdict{ready: true, reason: ReasonSynced, message: "PushSecret synced successfully",
			result: ctrl.Result{RequeueAfter: interval}}
	case failure.IsTransient(err):
		return verdict{reason: failure.Reason(err, ReasonErrored), failed: err, retry: err}
	default:
		return verdict{reason: failure.Reason(err, ReasonErrored), failed: err,
			result: ctrl.Result{RequeueAfter: interval}}
	}
}

func refreshInterval(ps *esv1alpha1.PushSecret) time.Duration {
	if d := ps.Spec.RefreshInterval; d != nil && d.Err() == nil && d.Duration > 0 {
		return d.Duration
	}
	return time.Hour
}

func (r *Reconciler) patchStatus(ctx context.Context, s *scope) error {
	if equality.Semantic.DeepEqual(s.before.Status, s.ps.Status) {
		return nil
	}
	return statuswrite.Patch(ctx, r.Client, s.before, s.ps, "PushSecret")
}

// SetupWithManager registers the controller. Besides its own changes, a PushSecret is
// reconciled when a Secret it reads changes, so the change is pushed within seconds.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts controller.Options) error {
	unmanaged, err := r.watchSources(ctx, mgr)
	if err != nil {
		return err
	}
	changed := predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{})
	b := ctrl.NewControllerManagedBy(mgr).
		Named("pushsecret").
		For(&esv1alpha1.PushSecret{}, builder.WithPredicates(changed)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.forSource)).
		WatchesRawSource(unmanaged)
	var rec reconcile.Reconciler = r
	if r.Shards != nil {
		filter, err := r.Shards.Filter(mgr.GetCache(), mgr.GetScheme(), &esv1alpha1.PushSecret{})
		if err != nil {
			return err
		}
		filter.OnLost(func(key types.NamespacedName) { r.Metrics.Forget(metrics.PushSecret, key) })
		b = b.WatchesRawSource(filter.Source())
		rec = filter.Reconciler(r)
		opts.NeedLeaderElection = new(false)
	}
	return b.WithOptions(opts).Complete(rec)
}

// resolver resolves the PushSecret's store references.
func (r *Reconciler) resolver() storeref.Resolver {
	return storeref.Resolver{Reader: r.Client, ControllerClass: r.ControllerClass, Namespaces: r.Namespaces, Live: r.APIReader}
}
