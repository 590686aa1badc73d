package clusterexternalsecret

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/conditions"
	"github.com/ferryhq/ferry/internal/metrics"
)

// defaultRefresh is how often the selected namespaces are looked at again when
// spec.refreshTime is unset.
const defaultRefresh = time.Minute

// retryConflict is when an object whose status write met a newer version is read again.
const retryConflict = time.Second

// Reconciler keeps the ExternalSecrets of each ClusterExternalSecret.
type Reconciler struct {
	Client   client.Client
	Recorder events.EventRecorder
	// Metrics records each object's Ready condition and reconcile duration; nil records
	// nothing.
	Metrics *metrics.Metrics
}

// Reconcile runs get → select namespaces → ensure each ExternalSecret → remove the ones no
// longer selected → one status patch.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	start := time.Now()
	ces := &esv1.ClusterExternalSecret{}
	if err := r.Client.Get(ctx, req.NamespacedName, ces); err != nil {
		if apierrors.IsNotFound(err) {
			r.Metrics.Forget(metrics.ClusterExternalSecret, req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !ces.DeletionTimestamp.IsZero() {
		r.Metrics.Forget(metrics.ClusterExternalSecret, req.NamespacedName)
		return ctrl.Result{}, nil // the ExternalSecrets go with their owner
	}
	before := ces.DeepCopy()

	var namespaces corev1.NamespaceList
	if err := r.Client.List(ctx, &namespaces); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing namespaces: %w", err)
	}
	wanted, err := selected(ces, namespaces.Items)
	if err != nil {
		setReady(ces, metav1.ConditionFalse, fmt.Sprintf("spec: %v", err))
		r.report(ces, start)
		return r.writeStatus(ctx, before, ces, ctrl.Result{})
	}
	name := externalSecretName(ces)

	var provisioned []string
	var failed []esv1.ClusterExternalSecretNamespaceFailure
	for _, ns := range wanted {
		if err := r.ensure(ctx, ces, ns, name); err != nil {
			failed = append(failed, esv1.ClusterExternalSecretNamespaceFailure{Namespace: ns, Reason: err.Error()})
			continue
		}
		provisioned = append(provisioned, ns)
	}
	if err := r.removeStale(ctx, ces, wanted, name); err != nil {
		return ctrl.Result{}, err
	}

	ces.Status.ExternalSecretName = name
	ces.Status.ProvisionedNamespaces = provisioned
	ces.Status.FailedNamespaces = failed
	if len(failed) == 0 {
		setReady(ces, metav1.ConditionTrue, fmt.Sprintf("ExternalSecret %s is in %d namespaces", name, len(provisioned)))
	} else {
		setReady(ces, metav1.ConditionFalse, fmt.Sprintf("ExternalSecret %s could not be created in %d of %d namespaces; see status.failedNamespaces",
			name, len(failed), len(wanted)))
	}
	r.report(ces, start)
	return r.writeStatus(ctx, before, ces, ctrl.Result{RequeueAfter: refresh(ces)})
}

// writeStatus patches the status and returns result. A patch that met a newer version of
// the object (a label edit, or the ExternalSecret it owns changing its own status) is not
// dropped: the object is read again shortly.
func (r *Reconciler) writeStatus(ctx context.Context, before, ces *esv1.ClusterExternalSecret, result ctrl.Result) (ctrl.Result, error) {
	if err := r.patchStatus(ctx, before, ces); apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: retryConflict}, nil
	} else if err != nil {
		return ctrl.Result{}, err
	}
	return result, nil
}

func externalSecretName(ces *esv1.ClusterExternalSecret) string {
	if ces.Spec.ExternalSecretName != "" {
		return ces.Spec.ExternalSecretName
	}
	return ces.Name
}

func refresh(ces *esv1.ClusterExternalSecret) time.Duration {
	if d := ces.Spec.RefreshInterval; d != nil && d.Err() == nil && d.Duration > 0 {
		return d.Duration
	}
	return defaultRefresh
}

// ensure creates or updates the ExternalSecret in one namespace. An ExternalSecret of the
// same name that this ClusterExternalSecret does not own is never touched.
func (r *Reconciler) ensure(ctx context.Context, ces *esv1.ClusterExternalSecret, namespace, name string) error {
	es := &esv1.ExternalSecret{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, es)
	switch {
	case apierrors.IsNotFound(err):
		es = &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
		r.shape(ces, es)
		if err := controllerutil.SetControllerReference(ces, es, r.Client.Scheme()); err != nil {
			return err
		}
		if err := r.Client.Create(ctx, es); err != nil {
			return fmt.Errorf("creating ExternalSecret: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("reading ExternalSecret: %w", err)
	}
	if !ownedBy(es, ces) {
		return fmt.Errorf("an ExternalSecret named %s already exists and is not owned by this ClusterExternalSecret", name)
	}
	desired := es.DeepCopy()
	r.shape(ces, desired)
	if equality.Semantic.DeepEqual(es.Spec, desired.Spec) && equality.Semantic.DeepEqual(es.Labels, desired.Labels) &&
		equality.Semantic.DeepEqual(es.Annotations, desired.Annotations) {
		return nil
	}
	if err := r.Client.Update(ctx, desired); err != nil {
		return fmt.Errorf("updating ExternalSecret: %w", err)
	}
	return nil
}

// shape sets the spec and metadata the ClusterExternalSecret asks for.
func (r *Reconciler) shape(ces *esv1.ClusterExternalSecret, es *esv1.ExternalSecret) {
	es.Spec = *ces.Spec.ExternalSecretSpec.DeepCopy()
	if m := ces.Spec.ExternalSecretMetadata; m != nil {
		if len(m.Labels) > 0 && es.Labels == nil {
			es.Labels = map[string]string{}
		}
		maps.Copy(es.Labels, m.Labels)
		if len(m.Annotations) > 0 && es.Annotations == nil {
			es.Annotations = map[string]string{}
		}
		maps.Copy(es.Annotations, m.Annotations)
	}
}

func ownedBy(es *esv1.ExternalSecret, ces *esv1.ClusterExternalSecret) bool {
	owner := metav1.GetControllerOf(es)
	return owner != nil && owner.UID == ces.UID
}

// removeStale deletes the ExternalSecrets this object owns in namespaces it no longer
// selects, or under a name it no longer uses.
func (r *Reconciler) removeStale(ctx context.Context, ces *esv1.ClusterExternalSecret, wanted []string, name string) error {
	previous := ces.Status.ProvisionedNamespaces
	oldName := ces.Status.ExternalSecretName
	if oldName == "" {
		oldName = name
	}
	for _, ns := range previous {
		if oldName == name && slices.Contains(wanted, ns) {
			continue
		}
		es := &esv1.ExternalSecret{}
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: oldName}, es); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("reading ExternalSecret %s/%s: %w", ns, oldName, err)
		}
		if !ownedBy(es, ces) {
			continue
		}
		if err := r.Client.Delete(ctx, es, client.Preconditions{UID: &es.UID}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting ExternalSecret %s/%s: %w", ns, oldName, err)
		}
		r.Recorder.Eventf(ces, nil, corev1.EventTypeNormal, "Removed", "Reconcile",
			"Removed ExternalSecret %s from namespace %s, which is no longer selected", oldName, ns)
	}
	return nil
}

func setReady(ces *esv1.ClusterExternalSecret, status metav1.ConditionStatus, message string) {
	conditions.Set(&ces.Status.Conditions, esv1.ClusterExternalSecretStatusCondition{
		Type: esv1.ClusterExternalSecretReady, Status: status, Message: message})
}

// report records the Ready condition just set and the reconcile's duration.
func (r *Reconciler) report(ces *esv1.ClusterExternalSecret, start time.Time) {
	for _, c := range ces.Status.Conditions {
		if c.Type == esv1.ClusterExternalSecretReady {
			r.Metrics.Reconciled(metrics.ClusterExternalSecret, client.ObjectKeyFromObject(ces), string(c.Status), time.Since(start))
		}
	}
}

func (r *Reconciler) patchStatus(ctx context.Context, before, ces *esv1.ClusterExternalSecret) error {
	if equality.Semantic.DeepEqual(before.Status, ces.Status) {
		return nil
	}
	for _, f := range ces.Status.FailedNamespaces {
		if !slices.ContainsFunc(before.Status.FailedNamespaces, func(b esv1.ClusterExternalSecretNamespaceFailure) bool { return b == f }) {
			r.Recorder.Eventf(ces, nil, corev1.EventTypeWarning, "NamespaceFailed", "Reconcile", "namespace %s: %s", f.Namespace, f.Reason)
		}
	}
	patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	if err := r.Client.Status().Patch(ctx, ces, patch); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patching ClusterExternalSecret status: %w", err)
	}
	return nil
}

// SetupWithManager registers the controller: ClusterExternalSecrets, the ExternalSecrets
// they own, and namespaces (a label change can select or deselect one).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("clusterexternalsecret").
		For(&esv1.ClusterExternalSecret{}).
		Owns(&esv1.ExternalSecret{}).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.all)).
		WithOptions(opts).
		Complete(r)
}

// all maps a namespace event to every ClusterExternalSecret.
func (r *Reconciler) all(ctx context.Context, _ client.Object) []reconcile.Request {
	var list esv1.ClusterExternalSecretList
	if err := r.Client.List(ctx, &list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing ClusterExternalSecrets failed")
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, ces := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: ces.Name}})
	}
	return out
}
