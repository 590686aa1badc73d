package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// AnnotationForceSync is ESO's convention for "sync now": any change of its value makes the
// controller sync the object at once (Ferry syncs on every change of labels or annotations).
const AnnotationForceSync = "force-sync"

// sync sets the force-sync annotation of each named ExternalSecret and, with wait, waits until
// Ferry has synced it or reported why it could not.
func (e *env) sync(ctx context.Context, names []string, wait bool, timeout time.Duration) error {
	var failed []string
	for _, name := range names {
		if err := e.syncOne(ctx, name, wait, timeout); err != nil {
			fmt.Fprintf(e.out, "externalsecret/%s: %v\n", name, err)
			failed = append(failed, name)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d ExternalSecrets did not sync; run 'kubectl ferry explain NAME' for the reason", len(failed), len(names))
	}
	return nil
}

func (e *env) syncOne(ctx context.Context, name string, wait bool, timeout time.Duration) error {
	key := client.ObjectKey{Namespace: e.namespace, Name: name}
	var before esv1.ExternalSecret
	if err := e.client.Get(ctx, key, &before); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("not found in namespace %s", e.namespace)
		}
		return err
	}
	stamp := e.now().UTC().Format(time.RFC3339Nano)
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, AnnotationForceSync, stamp)
	if err := e.client.Patch(ctx, &before, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
		return fmt.Errorf("setting %s: %w", AnnotationForceSync, err)
	}
	if !wait {
		fmt.Fprintf(e.out, "externalsecret/%s: sync requested\n", name)
		return nil
	}
	// Conditions carry whole seconds.
	requested := metav1.NewTime(e.now().Truncate(time.Second))
	// A failed attempt that fails as before changes nothing Ferry writes, so it cannot be told
	// from no attempt: the wait ends with the timeout and the object's condition.
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		var es esv1.ExternalSecret
		if err := e.client.Get(ctx, key, &es); err != nil {
			return err
		}
		if done, err := syncOutcome(&before, &es, requested); done {
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "externalsecret/%s: synced (%s)\n", name, readyCondition(&es).Message)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			c := readyCondition(&es)
			if c == nil {
				return fmt.Errorf("no sync within %s: is Ferry running, and does it handle this object's store (controller class)?", timeout)
			}
			return fmt.Errorf("no sync within %s; Ready=%s %s: %s", timeout, c.Status, c.Reason, c.Message)
		case <-tick.C:
		}
	}
}

// syncOutcome decides, from the object before the request and now, whether the requested sync
// has finished: successfully (the synced version moved on, which a sync of the new annotation
// does), or with a failure reported after the request.
func syncOutcome(before, now *esv1.ExternalSecret, requested metav1.Time) (bool, error) {
	c := readyCondition(now)
	if c == nil {
		return false, nil
	}
	if now.Status.SyncedResourceVersion != before.Status.SyncedResourceVersion && c.Status == corev1.ConditionTrue {
		return true, nil
	}
	if c.Status == corev1.ConditionFalse && !c.LastTransitionTime.Before(&requested) {
		return true, errors.New("failed: " + c.Reason + ": " + c.Message)
	}
	return false, nil
}
