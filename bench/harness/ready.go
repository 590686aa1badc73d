package harness

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// readiness records when each benchmark ExternalSecret was first seen Ready=True. It
// watches the API server directly, not through the counting proxy.
type readiness struct {
	c client.WithWatch

	mu    sync.Mutex
	since time.Time
	ready map[types.NamespacedName]time.Duration // first Ready, relative to since
	err   error
}

func newReadiness(cfg *rest.Config) (*readiness, error) {
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme()})
	if err != nil {
		return nil, err
	}
	return &readiness{c: c, ready: map[types.NamespacedName]time.Duration{}}, nil
}

// start records readiness relative to since until ctx ends.
func (r *readiness) start(ctx context.Context, since time.Time) {
	r.mu.Lock()
	r.since = since
	r.mu.Unlock()
	go func() {
		for ctx.Err() == nil {
			if err := r.listAndWatch(ctx); err != nil && ctx.Err() == nil {
				r.mu.Lock()
				r.err = err
				r.mu.Unlock()
				time.Sleep(time.Second)
			}
		}
	}()
}

func (r *readiness) listAndWatch(ctx context.Context) error {
	var list esv1.ExternalSecretList
	if err := r.c.List(ctx, &list, client.MatchingLabels{benchLabel: "1"}); err != nil {
		return fmt.Errorf("listing ExternalSecrets: %w", err)
	}
	for i := range list.Items {
		r.observe(&list.Items[i])
	}
	return follow(ctx, r.c, &esv1.ExternalSecretList{}, list.ResourceVersion, func(ev watch.Event) {
		if es, ok := ev.Object.(*esv1.ExternalSecret); ok {
			r.observe(es)
		}
	}, client.MatchingLabels{benchLabel: "1"})
}

// follow watches the objects of list's kind from resourceVersion and hands each event to
// observe until ctx ends (nil) or the watch breaks or ends (an error: re-list).
func follow(ctx context.Context, c client.WithWatch, list client.ObjectList, resourceVersion string,
	observe func(watch.Event), opts ...client.ListOption) error {
	opts = append(opts, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: resourceVersion}})
	w, err := c.Watch(ctx, list, opts...)
	if err != nil {
		return fmt.Errorf("watching %T: %w", list, err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.ResultChan():
			if !ok {
				return fmt.Errorf("the watch of %T ended", list)
			}
			if ev.Type == watch.Error {
				return fmt.Errorf("watch error: %v", ev.Object)
			}
			observe(ev)
		}
	}
}

func (r *readiness) observe(es *esv1.ExternalSecret) {
	if !isReady(es) {
		return
	}
	now := time.Now()
	key := types.NamespacedName{Namespace: es.Namespace, Name: es.Name}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, seen := r.ready[key]; !seen {
		r.ready[key] = now.Sub(r.since)
	}
}

func isReady(es *esv1.ExternalSecret) bool {
	for _, c := range es.Status.Conditions {
		if c.Type == esv1.ExternalSecretReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// count returns how many objects are Ready, and the last watch error.
func (r *readiness) count() (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ready), r.err
}

// times returns every object's time to Ready, sorted.
func (r *readiness) times() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]time.Duration, 0, len(r.ready))
	for _, d := range r.ready {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// percentile returns the p-th percentile (0-100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}
