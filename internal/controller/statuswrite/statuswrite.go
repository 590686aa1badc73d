// Package statuswrite writes a controller's status the one way every Ferry controller does:
// a merge patch locked on the version that was read, and a write that met a newer version
// read again shortly instead of dropped.
package statuswrite

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// RetryConflict is when an object whose status write met a newer version is read again. A
// label or annotation edit, or the controller's own finalizer write, passes the predicates
// without a reconcile of its own, so waiting for the next refresh would leave a stale
// status for up to its interval.
const RetryConflict = time.Second

// Patch writes obj's status as a merge patch from before, locked on before's
// resourceVersion so that it never overwrites what it did not read. An object deleted
// meanwhile is not an error; a conflict is returned for Result to retry.
func Patch(ctx context.Context, c client.Client, before, obj client.Object, kind string) error {
	patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
	if err := c.Status().Patch(ctx, obj, patch); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patching %s status: %w", kind, err)
	}
	return nil
}

// Result is the reconcile's outcome once its status write returned err: result when the
// write succeeded, a read again after RetryConflict when it met a newer version, err
// otherwise.
func Result(err error, result reconcile.Result) (reconcile.Result, error) {
	switch {
	case apierrors.IsConflict(err):
		return reconcile.Result{RequeueAfter: RetryConflict}, nil
	case err != nil:
		return reconcile.Result{}, err
	}
	return result, nil
}
