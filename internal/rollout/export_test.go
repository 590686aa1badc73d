package rollout

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// NewSourceCache exposes the metadata cache of Secrets and ConfigMaps to the tests.
func NewSourceCache(cfg *rest.Config, scheme *runtime.Scheme, namespace string) (cache.Cache, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	c, err := newSourceCache(cfg, scheme, mapper, httpClient, Options{Namespaces: []string{namespace}}, false, nil)
	return c.Cache, err
}

// DeploymentWatchers registers the sources index of Deployments in a workload cache of
// namespaces (every one when none) added to mgr, as SetupWithManager does, and returns what
// maps a Secret to the Deployments that may watch it, and whether that reads the informer's
// own index (a cache of every namespace) or lists by the field index.
func DeploymentWatchers(ctx context.Context, mgr ctrl.Manager, namespaces []string) (func(namespace, secret string) []string, bool, error) {
	views, err := newWorkloadCache(mgr.GetConfig(), mgr.GetRESTMapper(), mgr.GetHTTPClient(), namespaces, nil)
	if err != nil {
		return nil, false, err
	}
	if err := mgr.Add(views); err != nil {
		return nil, false, err
	}
	kr := &kindReconciler{Reconciler: &Reconciler{Client: mgr.GetClient()}, shared: &shared{opts: Options{}.withDefaults()},
		kind: workloadKinds()[0], workloads: views, cache: views, scheme: ViewScheme}
	if err := kr.indexSources(ctx); err != nil {
		return nil, false, err
	}
	return func(namespace, secret string) []string {
		var names []string
		for _, r := range kr.watchersOf(ctx, namespace, Ref{Kind: KindSecret, Name: secret}) {
			names = append(names, r.Name)
		}
		return names
	}, kr.watchers.InPlace(), nil
}
