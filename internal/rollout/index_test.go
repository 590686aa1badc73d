package rollout_test

import (
	"context"
	"slices"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestWatchersOfASource checks that a Secret maps to the Deployments of its namespace that
// may watch it — those whose pod template uses it, and those with a reload pattern — and to
// no other, both through the informer's own index (a cache of every namespace, as Ferry runs
// by default) and through the field index a cache of some namespaces falls back to.
func TestWatchersOfASource(t *testing.T) {
	nsA, nsB := testenv.Namespace(t, k8s, nil), testenv.Namespace(t, k8s, nil)
	auto := map[string]string{rollout.ReloaderAuto: "true"}
	uses := pod(container(nil, envFromSecret("db")))
	create(t, deployment(nsA, "uses-db", auto, uses))
	create(t, deployment(nsA, "by-pattern", map[string]string{rollout.ReloaderSecretReload: "d.*"}, pod(container(nil))))
	create(t, deployment(nsA, "not-opted-in", nil, uses))
	create(t, deployment(nsB, "uses-db", auto, uses))

	for _, tc := range []struct {
		name       string
		namespaces []string
		indexed    bool
	}{
		{"every namespace", nil, true},
		{"some namespaces", []string{nsA, nsB}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			mgr, err := ctrl.NewManager(restConfig, ctrl.Options{Scheme: k8s.Scheme(), Metrics: metricsserver.Options{BindAddress: "0"}})
			if err != nil {
				t.Fatal(err)
			}
			watchers, indexed, err := rollout.DeploymentWatchers(ctx, mgr, tc.namespaces)
			if err != nil {
				t.Fatal(err)
			}
			if indexed != tc.indexed {
				t.Errorf("read from the informer's index: %v, want %v", indexed, tc.indexed)
			}
			go func() { _ = mgr.Start(ctx) }()
			if !mgr.GetCache().WaitForCacheSync(ctx) {
				t.Fatal("cache not synced")
			}
			want := map[[2]string][]string{
				{nsA, "db"}:    {"by-pattern", "uses-db"},
				{nsB, "db"}:    {"uses-db"},
				{nsA, "dx"}:    {"by-pattern"},
				{nsB, "other"}: nil,
			}
			testenv.Eventually(t, 10*time.Second, "watchers of each Secret", func() (bool, error) {
				for key, names := range want {
					got := watchers(key[0], key[1])
					slices.Sort(got)
					if !slices.Equal(got, names) {
						t.Logf("watchers of Secret %s in %s = %v, want %v", key[1], key[0], got, names)
						return false, nil
					}
				}
				return true, nil
			})
		})
	}
}
