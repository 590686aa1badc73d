// Package statuswrite writes a controller's status the one way every Ferry controller does:
// a merge patch locked on the version that was read, and a write that met a newer version
// read again shortly instead of dropped.
package statuswrite

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// RetryConflict is when an object whose status write met a newer version is read again. A
// label or annotation edit, or the controller's own finalizer write, passes the predicates
// without a reconcile of its own, so waiting for the next refresh would leave a stale
// status for up to its interval.
const RetryConflict = time.Second

// Patch writes obj's status as a merge patch from before's, locked on before's
// resourceVersion so that it never overwrites what it did not read. An object deleted
// meanwhile is not an error; a conflict is returned for Result to retry.
func Patch(ctx context.Context, c client.Client, before, obj client.Object, kind string) error {
	if err := c.Status().Patch(ctx, obj, statusPatch{before: before}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patching %s status: %w", kind, err)
	}
	return nil
}

// statusPatch is a merge patch of the status alone, with the optimistic lock of
// client.MergeFromWithOptimisticLock. The status subresource ignores everything but the
// status, so the rest of the object need not be serialised and compared: client.MergeFrom
// marshals both whole objects and decodes both into maps to diff them, 18 KB of garbage
// for each status write of an ExternalSecret.
type statusPatch struct{ before client.Object }

// statusPatchBody is what the API server receives: the version read, and the status's diff.
type statusPatchBody struct {
	Metadata struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Status json.RawMessage `json:"status"`
}

func (statusPatch) Type() types.PatchType { return types.MergePatchType }

func (p statusPatch) Data(obj client.Object) ([]byte, error) {
	from, to := statusOf(p.before), statusOf(obj)
	if from == nil || to == nil {
		return nil, fmt.Errorf("%T has no Status field to patch", obj)
	}
	var body statusPatchBody
	if body.Metadata.ResourceVersion = p.before.GetResourceVersion(); body.Metadata.ResourceVersion == "" {
		return nil, fmt.Errorf("%s has no resourceVersion to lock the status write on", p.before.GetName())
	}
	fromJSON, err := json.Marshal(from)
	if err != nil {
		return nil, err
	}
	toJSON, err := json.Marshal(to)
	if err != nil {
		return nil, err
	}
	if body.Status, err = jsonpatch.CreateMergePatch(fromJSON, toJSON); err != nil {
		return nil, err
	}
	return json.Marshal(body)
}

// statusOf returns a pointer to obj's Status field, or nil for a kind without one.
func statusOf(obj client.Object) any {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("Status")
	if !f.IsValid() || !f.CanAddr() {
		return nil
	}
	return f.Addr().Interface()
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
