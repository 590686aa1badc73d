package fanout

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
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
	"github.com/ferryhq/ferry/internal/controller/statuswrite"
	"github.com/ferryhq/ferry/internal/metrics"
)

// DefaultRefresh is how often the selected namespaces are looked at again when the parent
// sets no refresh interval.
const DefaultRefresh = time.Minute

// Outcome is what one reconcile found, for the parent's status.
type Outcome struct {
	ChildName   string
	Provisioned []string
	Failed      []esv1.ClusterExternalSecretNamespaceFailure
	Ready       bool
	Message     string
}

// Kind is what differs between parent kinds. P is the parent's pointer type, C the child's.
type Kind[P, C client.Object] struct {
	// Parent and Child name the kinds in messages ("ClusterPushSecret", "PushSecret").
	Parent, Child string
	// Metrics is the parent's per-object series; "" records none.
	Metrics metrics.Kind
	// NewParent, NewChild and NewParentList return empty objects.
	NewParent     func() P
	NewChild      func() C
	NewParentList func() client.ObjectList
	// Selection, ChildName and Refresh read the parent's spec (Refresh 0: DefaultRefresh).
	Selection func(P) Selection
	ChildName func(P) string
	Refresh   func(P) time.Duration
	// Shape sets on child the spec, labels and annotations the parent asks for, keeping
	// what else the child has.
	Shape func(parent P, child C)
	// SameSpec says whether two children's specs are equal.
	SameSpec func(a, b C) bool
	// Status reads the outcome the parent's status records (Ready and Message aside);
	// SetStatus writes one into it.
	Status    func(P) Outcome
	SetStatus func(P, Outcome)
	// ReadyStatus returns the parent's Ready condition status ("" when it has none).
	ReadyStatus func(P) string
}

// Reconciler keeps the children of each parent of one Kind.
type Reconciler[P, C client.Object] struct {
	Kind   Kind[P, C]
	Client client.Client
	// Children reads the children; nil reads them through Client. With sharding, the
	// leader's cache holds the children of its own shards only, and a child missing from it
	// must not pass for absent: Children is then the API reader.
	Children client.Reader
	Recorder events.EventRecorder
	// Metrics records each parent's Ready condition and reconcile duration; nil records
	// nothing.
	Metrics *metrics.Metrics
}

// Reconcile runs get → select namespaces → ensure each child → remove the ones no longer
// selected → one status patch.
func (r *Reconciler[P, C]) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	start := time.Now()
	parent := r.Kind.NewParent()
	if err := r.Client.Get(ctx, req.NamespacedName, parent); err != nil {
		if apierrors.IsNotFound(err) {
			r.Metrics.Forget(r.Kind.Metrics, req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !parent.GetDeletionTimestamp().IsZero() {
		r.Metrics.Forget(r.Kind.Metrics, req.NamespacedName)
		return ctrl.Result{}, nil // the children go with their owner
	}
	before := parent.DeepCopyObject().(P)

	var namespaces corev1.NamespaceList
	if err := r.Client.List(ctx, &namespaces); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing namespaces: %w", err)
	}
	wanted, err := Selected(r.Kind.Selection(parent), namespaces.Items)
	if err != nil {
		// Nothing is created or removed: the status keeps what exists.
		out := r.Kind.Status(parent)
		out.Ready, out.Message = false, fmt.Sprintf("spec: %v", err)
		r.Kind.SetStatus(parent, out)
		return r.writeStatus(ctx, before, parent, start, ctrl.Result{})
	}
	name := r.Kind.ChildName(parent)

	var provisioned []string
	var failed []esv1.ClusterExternalSecretNamespaceFailure
	for _, ns := range wanted {
		if err := r.ensure(ctx, parent, ns, name); err != nil {
			failed = append(failed, esv1.ClusterExternalSecretNamespaceFailure{Namespace: ns, Reason: err.Error()})
			continue
		}
		provisioned = append(provisioned, ns)
	}
	if err := r.removeStale(ctx, parent, wanted, name); err != nil {
		return ctrl.Result{}, err
	}

	out := Outcome{ChildName: name, Provisioned: provisioned, Failed: failed, Ready: len(failed) == 0,
		Message: fmt.Sprintf("%s %s is in %d namespaces", r.Kind.Child, name, len(provisioned))}
	if len(failed) > 0 {
		out.Message = fmt.Sprintf("%s %s could not be created in %d of %d namespaces; see status.failedNamespaces",
			r.Kind.Child, name, len(failed), len(wanted))
	}
	r.Kind.SetStatus(parent, out)
	return r.writeStatus(ctx, before, parent, start, ctrl.Result{RequeueAfter: r.refresh(parent)})
}

func (r *Reconciler[P, C]) refresh(parent P) time.Duration {
	if d := r.Kind.Refresh(parent); d > 0 {
		return d
	}
	return DefaultRefresh
}

// ensure creates or updates the child in one namespace. A child of the same name that the
// parent does not own is never touched.
func (r *Reconciler[P, C]) ensure(ctx context.Context, parent P, namespace, name string) error {
	child := r.Kind.NewChild()
	err := r.children().Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, child)
	switch {
	case apierrors.IsNotFound(err):
		child = r.Kind.NewChild()
		child.SetNamespace(namespace)
		child.SetName(name)
		r.Kind.Shape(parent, child)
		if err := controllerutil.SetControllerReference(parent, child, r.Client.Scheme()); err != nil {
			return err
		}
		if err := r.Client.Create(ctx, child); err != nil {
			return fmt.Errorf("creating %s: %w", r.Kind.Child, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("reading %s: %w", r.Kind.Child, err)
	}
	if !ownedBy(child, parent) {
		return fmt.Errorf("a %s named %s already exists and is not owned by this %s", r.Kind.Child, name, r.Kind.Parent)
	}
	desired := child.DeepCopyObject().(C)
	r.Kind.Shape(parent, desired)
	if r.Kind.SameSpec(child, desired) && equality.Semantic.DeepEqual(child.GetLabels(), desired.GetLabels()) &&
		equality.Semantic.DeepEqual(child.GetAnnotations(), desired.GetAnnotations()) {
		return nil
	}
	if err := r.Client.Update(ctx, desired); err != nil {
		return fmt.Errorf("updating %s: %w", r.Kind.Child, err)
	}
	return nil
}

func (r *Reconciler[P, C]) children() client.Reader {
	if r.Children != nil {
		return r.Children
	}
	return r.Client
}

func ownedBy(child, parent client.Object) bool {
	owner := metav1.GetControllerOf(child)
	return owner != nil && owner.UID == parent.GetUID()
}

// removeStale deletes the children the parent owns in namespaces it no longer selects, or
// under a name it no longer uses.
func (r *Reconciler[P, C]) removeStale(ctx context.Context, parent P, wanted []string, name string) error {
	last := r.Kind.Status(parent)
	oldName, previous := last.ChildName, last.Provisioned
	if oldName == "" {
		oldName = name
	}
	for _, ns := range previous {
		if oldName == name && slices.Contains(wanted, ns) {
			continue
		}
		child := r.Kind.NewChild()
		if err := r.children().Get(ctx, client.ObjectKey{Namespace: ns, Name: oldName}, child); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("reading %s %s/%s: %w", r.Kind.Child, ns, oldName, err)
		}
		if !ownedBy(child, parent) {
			continue
		}
		uid := child.GetUID()
		if err := r.Client.Delete(ctx, child, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s %s/%s: %w", r.Kind.Child, ns, oldName, err)
		}
		r.Recorder.Eventf(parent, nil, corev1.EventTypeNormal, "Removed", "Reconcile",
			"Removed %s %s from namespace %s, which is no longer selected", r.Kind.Child, oldName, ns)
	}
	return nil
}

// writeStatus records the reconcile, patches the status and returns result. A patch that
// met a newer version of the parent is not dropped: the parent is read again shortly.
func (r *Reconciler[P, C]) writeStatus(ctx context.Context, before, parent P, start time.Time, result ctrl.Result) (ctrl.Result, error) {
	r.Metrics.Reconciled(r.Kind.Metrics, client.ObjectKeyFromObject(parent), r.Kind.ReadyStatus(parent), time.Since(start))
	return statuswrite.Result(r.patchStatus(ctx, before, parent), result)
}

func (r *Reconciler[P, C]) patchStatus(ctx context.Context, before, parent P) error {
	if equality.Semantic.DeepEqual(before, parent) {
		return nil
	}
	failedBefore := r.Kind.Status(before).Failed
	for _, f := range r.Kind.Status(parent).Failed {
		if !slices.Contains(failedBefore, f) {
			r.Recorder.Eventf(parent, nil, corev1.EventTypeWarning, "NamespaceFailed", "Reconcile", "namespace %s: %s", f.Namespace, f.Reason)
		}
	}
	return statuswrite.Patch(ctx, r.Client, before, parent, r.Kind.Parent)
}

// SetupWithManager registers the controller as name: the parents, the children they own,
// and namespaces (a label change can select or deselect one).
func (r *Reconciler[P, C]) SetupWithManager(mgr ctrl.Manager, name string, opts controller.Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		For(r.Kind.NewParent()).
		Owns(r.Kind.NewChild()).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.all)).
		WithOptions(opts).
		Complete(r)
}

// all maps a namespace event to every parent.
func (r *Reconciler[P, C]) all(ctx context.Context, _ client.Object) []reconcile.Request {
	list := r.Kind.NewParentList()
	if err := r.Client.List(ctx, list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing "+r.Kind.Parent+"s failed")
		return nil
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Reading the list of "+r.Kind.Parent+"s failed")
		return nil
	}
	out := make([]reconcile.Request, 0, len(items))
	for _, item := range items {
		if o, err := meta.Accessor(item); err == nil {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: o.GetName()}})
		}
	}
	return out
}
