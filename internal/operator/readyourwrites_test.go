package operator_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/testenv"
)

var cp *testenv.ControlPlane

// startOperator runs an operator with the fake provider and opts (HashKey and Providers
// filled in) until the test ends, and returns its manager and the test's context.
func startOperator(t *testing.T, opts operator.Options) (context.Context, manager.Manager) {
	t.Helper()
	ctx, cancel := context.WithCancel(cp.Ctx)
	t.Cleanup(cancel)
	opts.HashKey, opts.Providers = []byte(operatortest.HashKey), provider.NewRegistry(fake.New())
	mgr, err := operator.New(ctx, cp.Config, opts)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = mgr.Start(ctx) }()
	return ctx, mgr
}

func TestMain(m *testing.M) {
	operatortest.SetLogger(nil, 0)
	os.Exit(testenv.Run(m, func(c *testenv.ControlPlane) { cp = c }))
}

// TestReadYourWrites: every controller reads objects from the manager's cache right after
// writing them, and relies on the read showing its own write — the ExternalSecret
// reconciler keeps no record of the status version it wrote (docs/design/0004). Written
// and read back at once, fifty times: with read-your-writes off in operator.newManager
// (`readYourWrites := false`), the cache lags behind the first reads and this fails.
func TestReadYourWrites(t *testing.T) {
	ctx, mgr := startOperator(t, operator.Options{})
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		t.Fatal("cache did not sync")
	}
	ns := testenv.Namespace(t, cp.Client, nil)
	c := mgr.GetClient()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "written"}, Data: map[string]string{}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		cm.Data = map[string]string{"n": fmt.Sprint(i)}
		if err := c.Update(ctx, cm); err != nil {
			t.Fatal(err)
		}
		var read corev1.ConfigMap
		if err := c.Get(ctx, client.ObjectKeyFromObject(cm), &read); err != nil {
			t.Fatalf("write %d: reading it back: %v", i, err)
		}
		if read.ResourceVersion != cm.ResourceVersion {
			t.Fatalf("write %d: the cache returned version %s, older than the %s just written", i, read.ResourceVersion, cm.ResourceVersion)
		}
	}
}
