package secretmeta_test

import (
	"context"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/cacheview"
	"github.com/ferryhq/ferry/internal/secretmeta"
	"github.com/ferryhq/ferry/internal/testenv"
)

var controlPlane *testenv.ControlPlane

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, func(cp *testenv.ControlPlane) { controlPlane = cp }))
}

// TestCacheOnAnAPIServer runs the cache against a real API server, of every namespace (which
// keeps each Secret as a Meta) and of one (which keeps PartialObjectMetadata): both hold the
// unmanaged Secrets and not the managed ones, Has and Names read them, a watch sees a Secret's
// update as an update (its resourceVersion kept), and the Meta keeps the labels and only the
// annotations asked for.
func TestCacheOnAnAPIServer(t *testing.T) {
	c := controlPlane.Client
	ns := testenv.Namespace(t, c, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	plain := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain", Labels: map[string]string{"team": "a"},
		Annotations: map[string]string{"keep": "1", "drop": "2"}}, Data: map[string][]byte{"k": []byte("v")}}
	managed := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "managed",
		Labels: map[string]string{esv1.LabelManaged: esv1.LabelManagedValue}}}
	for _, s := range []*corev1.Secret{plain, managed} {
		if err := c.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name       string
		namespaces []string
		compact    bool
	}{
		{"every namespace", nil, true},
		{"one namespace", []string{ns}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			cfg := rest.CopyConfig(controlPlane.Config)
			httpClient, err := rest.HTTPClientFor(cfg)
			if err != nil {
				t.Fatal(err)
			}
			mapper, err := apiutil.NewDynamicRESTMapper(cfg, httpClient)
			if err != nil {
				t.Fatal(err)
			}
			cache, err := secretmeta.New(cfg, testenv.Scheme(), mapper, httpClient, secretmeta.Options{Namespaces: tc.namespaces,
				Labels: true, Annotation: func(k string) bool { return k == "keep" }})
			if err != nil {
				t.Fatal(err)
			}
			informer, err := cache.GetInformer(ctx, secretmeta.Object())
			if err != nil {
				t.Fatal(err)
			}
			var updates atomic.Int32
			if _, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{UpdateFunc: func(_, o any) {
				if obj, ok := o.(client.Object); ok && obj.GetName() == "plain" {
					updates.Add(1)
				}
			}}); err != nil {
				t.Fatal(err)
			}
			go func() { _ = cache.Start(ctx) }()
			if !cache.WaitForCacheSync(ctx) {
				t.Fatal("cache not synced")
			}
			for name, want := range map[string]bool{"plain": true, "managed": false, "missing": false} {
				if got, err := secretmeta.Has(ctx, cache, client.ObjectKey{Namespace: ns, Name: name}); err != nil || got != want {
					t.Errorf("Has(%s) = %v, %v; want %v", name, got, err, want)
				}
			}
			if names, err := secretmeta.Names(ctx, cache, ns); err != nil || !slices.Equal(names, []string{"plain"}) {
				t.Errorf("Names = %v, %v; want [plain]", names, err)
			}
			_, indexer, err := cacheview.Indexer(ctx, cache, secretmeta.Object())
			if err != nil {
				t.Fatal(err)
			}
			if tc.compact {
				item, ok, err := indexer.GetByKey(ns + "/plain")
				m, isMeta := item.(*secretmeta.Meta)
				if err != nil || !ok || !isMeta {
					t.Fatalf("store holds %T (found %v, %v), want a Meta", item, ok, err)
				}
				if m.Labels["team"] != "a" || len(m.Annotations) != 1 || m.Annotations["keep"] != "1" || m.ResourceVersion == "" {
					t.Errorf("Meta = %+v, want the labels, the kept annotation and the resourceVersion", m)
				}
			}
			patched := plain.DeepCopy()
			patched.Data["k"] = []byte(tc.name)
			if err := c.Patch(ctx, patched, client.MergeFrom(plain)); err != nil {
				t.Fatal(err)
			}
			testenv.Eventually(t, 10*time.Second, "an update of the Secret reaches the watch", func() (bool, error) {
				return updates.Load() > 0, nil
			})
		})
	}
}
