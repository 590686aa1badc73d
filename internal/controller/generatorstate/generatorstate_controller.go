package generatorstate

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/generator"
)

// Finalizer holds a GeneratorState until what it records is cleaned up; it is External
// Secrets Operator's, so states it wrote are finished the same way.
const Finalizer = "generatorstate.externalsecrets.io/finalizer"

// Reconciler deletes GeneratorStates that are due and cleans up what they record.
type Reconciler struct {
	// Client is the manager's cached client.
	Client client.Client
	// Direct is an uncached client: the credentials cleanup needs are read with it, and
	// whether the owning ExternalSecret still exists is asked with it.
	Direct client.Client
	// Generators cleans up what a state records.
	Generators *generator.Registry
	// Recorder receives an event when a state cannot be cleaned up.
	Recorder events.EventRecorder
	// Now is the clock, for tests.
	Now func() time.Time
}

// Reconcile is the skeleton: get → finish a deletion → finalizer → delete when due.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	state := &genv1alpha1.GeneratorState{}
	if err := r.Client.Get(ctx, req.NamespacedName, state); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !state.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.finish(ctx, state)
	}
	if !controllerutil.ContainsFinalizer(state, Finalizer) {
		patch := client.MergeFrom(state.DeepCopy())
		controllerutil.AddFinalizer(state, Finalizer)
		if err := r.Client.Patch(ctx, state, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding the finalizer: %w", err)
		}
	}
	orphaned, err := r.orphaned(ctx, state)
	if err != nil {
		return ctrl.Result{}, err
	}
	wait := time.Duration(0)
	if !orphaned {
		if state.Spec.GarbageCollectionDeadline == nil {
			return ctrl.Result{}, nil
		}
		wait = state.Spec.GarbageCollectionDeadline.Sub(r.now())
	}
	if wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Collecting GeneratorState", "orphaned", orphaned)
	if err := r.Client.Delete(ctx, state); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("deleting the GeneratorState: %w", err)
	}
	return ctrl.Result{}, nil
}

// finish cleans up what a state being deleted records, then lets it go. A state that can
// never be cleaned up (its resource is not a generator Ferry can read) is let go with a
// warning event; any other failure is retried with backoff.
func (r *Reconciler) finish(ctx context.Context, state *genv1alpha1.GeneratorState) error {
	if !controllerutil.ContainsFinalizer(state, Finalizer) {
		return nil
	}
	var resource, recorded []byte
	if state.Spec.Resource != nil {
		resource = state.Spec.Resource.Raw
	}
	if state.Spec.State != nil {
		recorded = state.Spec.State.Raw
	}
	err := r.Generators.Cleanup(ctx, r.Direct, resource, recorded, state.Namespace)
	switch {
	case errors.Is(err, generator.ErrInvalidSpec):
		r.Recorder.Eventf(state, nil, corev1.EventTypeWarning, "CleanupImpossible", "Cleanup",
			"What this state records cannot be cleaned up and is left at the service: %v", err)
	case err != nil:
		return fmt.Errorf("cleaning up: %w", err)
	}
	patch := client.MergeFrom(state.DeepCopy())
	controllerutil.RemoveFinalizer(state, Finalizer)
	if err := r.Client.Patch(ctx, state, patch); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("removing the finalizer: %w", err)
	}
	return nil
}

// orphaned tells whether the ExternalSecret or PushSecret that owns state is gone (or
// replaced by another object of the same name), which Kubernetes' garbage collector would
// also act on; Ferry does not wait for it.
func (r *Reconciler) orphaned(ctx context.Context, state *genv1alpha1.GeneratorState) (bool, error) {
	for _, owner := range state.OwnerReferences {
		var obj client.Object
		switch owner.Kind {
		case esv1.ExtSecretKind:
			obj = &esv1.ExternalSecret{}
		case esv1alpha1.PushSecretKind:
			obj = &esv1alpha1.PushSecret{}
		default:
			continue
		}
		err := r.Direct.Get(ctx, client.ObjectKey{Namespace: state.Namespace, Name: owner.Name}, obj)
		switch {
		case apierrors.IsNotFound(err):
			return true, nil
		case err != nil:
			return false, fmt.Errorf("reading the owning %s: %w", owner.Kind, err)
		case obj.GetUID() != owner.UID:
			return true, nil
		}
	}
	return false, nil
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// SetupWithManager watches GeneratorStates, and deleted ExternalSecrets and PushSecrets
// for the states they own.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, opts controller.Options) error {
	deletedOnly := predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("generatorstate").
		For(&genv1alpha1.GeneratorState{}).
		Watches(&esv1.ExternalSecret{}, handler.EnqueueRequestsFromMapFunc(r.forOwner), builder.WithPredicates(deletedOnly)).
		Watches(&esv1alpha1.PushSecret{}, handler.EnqueueRequestsFromMapFunc(r.forOwner), builder.WithPredicates(deletedOnly)).
		WithOptions(opts).
		Complete(r)
}

// forOwner maps a deleted ExternalSecret or PushSecret to the states it owns.
func (r *Reconciler) forOwner(ctx context.Context, o client.Object) []reconcile.Request {
	var list genv1alpha1.GeneratorStateList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
		return nil
	}
	var requests []reconcile.Request
	for _, gs := range list.Items {
		for _, owner := range gs.OwnerReferences {
			if owner.UID == o.GetUID() {
				requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&gs)})
			}
		}
	}
	return requests
}
