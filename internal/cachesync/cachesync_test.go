package cachesync_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/cachesync"
	"github.com/ferryhq/ferry/internal/cacheview"
	"github.com/ferryhq/ferry/internal/testenv"
)

var controlPlane *testenv.ControlPlane

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, func(cp *testenv.ControlPlane) { controlPlane = cp }))
}

// TestWaitsForHandlers runs a cache against a real API server, of every namespace and of
// two: WaitForCacheSync returns only once a handler added through the cache has been handed
// the whole initial list (so that controller-runtime's one look at the handler afterwards
// finds it synced, and it does not poll), a handler removed before it synced is not waited
// for, an informer asked for after the start is returned synced, and the informer still
// shows its indexer to cacheview.
func TestWaitsForHandlers(t *testing.T) {
	c := controlPlane.Client
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ns, other := testenv.Namespace(t, c, nil), testenv.Namespace(t, c, nil)
	mark := map[string]string{"cachesync-test": ns}
	const objects = 20
	for i := range objects {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("cm-%d", i), Labels: mark}}
		if err := c.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name       string
		namespaces []string
	}{
		{"every namespace", nil},
		{"two namespaces", []string{ns, other}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			opts := cache.Options{Scheme: testenv.Scheme(),
				ByObject: map[client.Object]cache.ByObject{&corev1.ConfigMap{}: {Label: labels.SelectorFromSet(mark)}}}
			for _, n := range tc.namespaces {
				if opts.DefaultNamespaces == nil {
					opts.DefaultNamespaces = map[string]cache.Config{}
				}
				opts.DefaultNamespaces[n] = cache.Config{}
			}
			sc, err := cachesync.New(controlPlane.Config, opts)
			if err != nil {
				t.Fatal(err)
			}
			informer, err := sc.GetInformer(ctx, &corev1.ConfigMap{})
			if err != nil {
				t.Fatal(err)
			}
			// A handler that holds the initial list back until released, and one removed
			// before the start, which never syncs.
			release := make(chan struct{})
			var added sync.WaitGroup
			added.Add(objects)
			// As controller-runtime's sources add theirs.
			held, err := informer.AddEventHandlerWithOptions(toolscache.ResourceEventHandlerFuncs{AddFunc: func(any) {
				<-release
				added.Done()
			}}, toolscache.HandlerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			removed, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{})
			if err != nil {
				t.Fatal(err)
			}
			if err := informer.RemoveEventHandler(removed); err != nil {
				t.Fatal(err)
			}
			go func() { _ = sc.Start(ctx) }()

			synced := make(chan bool, 1)
			go func() { synced <- sc.WaitForCacheSync(ctx) }()
			select {
			case ok := <-synced:
				t.Fatalf("WaitForCacheSync returned %v while a handler was still being handed the initial list", ok)
			case <-time.After(500 * time.Millisecond):
			}
			close(release)
			if !<-synced {
				t.Fatal("WaitForCacheSync returned false")
			}
			if !held.HasSynced() {
				t.Error("WaitForCacheSync returned before the handler had synced")
			}
			added.Wait()

			// An informer asked for after the start is returned once it has synced.
			secrets, err := sc.GetInformerForKind(ctx, corev1.SchemeGroupVersion.WithKind("Secret"))
			if err != nil {
				t.Fatal(err)
			}
			if !secrets.HasSynced() {
				t.Error("GetInformerForKind after the start returned an informer that has not synced")
			}
			_, indexer, err := cacheview.Indexer(ctx, sc, &corev1.ConfigMap{})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.namespaces == nil && indexer == nil:
				t.Error("the informer of a cache of every namespace hides its indexer")
			case tc.namespaces == nil && len(indexer.List()) != objects:
				t.Errorf("the indexer holds %d ConfigMaps, want %d", len(indexer.List()), objects)
			case tc.namespaces != nil && indexer != nil:
				t.Error("the informer of a cache of two namespaces shows an indexer (it has one per namespace)")
			}
		})
	}
}

// TestWaitEndsWithContext checks that a wait for a cache that never starts ends with its
// context, false.
func TestWaitEndsWithContext(t *testing.T) {
	sc, err := cachesync.New(controlPlane.Config, cache.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := sc.GetInformer(ctx, &corev1.ConfigMap{}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if sc.WaitForCacheSync(ctx) {
		t.Error("WaitForCacheSync of a cache never started returned true")
	}
}

// TestInformerNeverRun checks that an informer removed before the cache started, which the
// cache never runs, and a handler added to it do not hold back a wait for the cache to sync.
func TestInformerNeverRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sc, err := cachesync.New(controlPlane.Config, cache.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []client.Object{&corev1.ConfigMap{}, &corev1.Namespace{}} {
		informer, err := sc.GetInformer(ctx, obj)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := informer.AddEventHandlerWithOptions(toolscache.ResourceEventHandlerFuncs{}, toolscache.HandlerOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.RemoveInformer(ctx, &corev1.ConfigMap{}); err != nil {
		t.Fatal(err)
	}
	go func() { _ = sc.Start(ctx) }()
	if !sc.WaitForCacheSync(ctx) {
		t.Fatal("WaitForCacheSync did not return true before its context ended: it waited for the removed informer")
	}
	namespaces, err := sc.GetInformer(ctx, &corev1.Namespace{})
	if err != nil {
		t.Fatal(err)
	}
	if !namespaces.HasSynced() {
		t.Error("WaitForCacheSync returned before the informer it holds had synced")
	}
}
