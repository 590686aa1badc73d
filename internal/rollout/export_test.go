package rollout

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
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
	c, err := newSourceCache(cfg, scheme, mapper, httpClient, Options{Namespaces: []string{namespace}})
	return c.Cache, err
}
