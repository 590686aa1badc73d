package testenv

import (
	"context"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// StatusConflicts returns an uncached client of the control plane whose first n status
// patches fail with 409 Conflict, as when another writer changed the object since it was
// read; later ones reach the API server. It lets a test drive a reconciler by hand through
// the race that is otherwise left to timing.
func (cp *ControlPlane) StatusConflicts(t testing.TB, n int) client.Client {
	t.Helper()
	direct, err := client.NewWithWatch(cp.Config, client.Options{Scheme: cp.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	return interceptor.NewClient(direct, interceptor.Funcs{
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			mu.Lock()
			conflict := n > 0
			n--
			mu.Unlock()
			if conflict {
				gvk, _ := c.GroupVersionKindFor(obj)
				return apierrors.NewConflict(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, obj.GetName(), nil)
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
}
