package harness

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// valueWatch follows every managed Secret of the soak through a list and watch of its own
// (re-listed whenever the watch breaks, as it does when kube-apiserver restarts) and keeps,
// for each, the generation of its key's value it holds. It records what must never happen
// — a Secret that disappears, bytes that are no value of the object's key, a value older
// than one the Secret already held — and, for each rotation, when the last Secret reading
// the rotated key received it.
type valueWatch struct {
	c   client.WithWatch
	cfg *Config

	mu        sync.Mutex
	held      map[types.NamespacedName]int // generation each Secret holds; absent: not seen yet
	index     map[types.NamespacedName]int // object of each Secret
	lost      []string                     // "ns/name: how"
	wrong     []string
	rotations []*rotationRecord
	watchErrs int
}

// rotationRecord is one new value of one key.
type rotationRecord struct {
	key, generation int
	at              time.Time // when the write to the provider returned
	waiting         int       // Secrets reading the key that do not hold it yet
	arrived         time.Duration
	done            bool
}

func newValueWatch(c client.WithWatch, cfg *Config) *valueWatch {
	w := &valueWatch{c: c, cfg: cfg, held: map[types.NamespacedName]int{}, index: map[types.NamespacedName]int{}}
	for i := range cfg.N {
		w.index[types.NamespacedName{Namespace: cfg.namespaceOf(i), Name: esName(i)}] = i
	}
	return w
}

// run follows the Secrets until ctx ends.
func (w *valueWatch) run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := w.listAndWatch(ctx); err != nil && ctx.Err() == nil {
			w.mu.Lock()
			w.watchErrs++
			w.mu.Unlock()
			_ = sleep(ctx, time.Second)
		}
	}
}

func (w *valueWatch) listAndWatch(ctx context.Context) error {
	selector := client.MatchingLabels{esv1.LabelManaged: esv1.LabelManagedValue}
	var list corev1.SecretList
	if err := w.c.List(ctx, &list, selector); err != nil {
		return fmt.Errorf("listing Secrets: %w", err)
	}
	present := map[types.NamespacedName]bool{}
	for i := range list.Items {
		present[client.ObjectKeyFromObject(&list.Items[i])] = true
		w.observe(&list.Items[i], watch.Added)
	}
	w.missingFromList(present)
	return follow(ctx, w.c, &corev1.SecretList{}, list.ResourceVersion, func(ev watch.Event) {
		if s, ok := ev.Object.(*corev1.Secret); ok {
			w.observe(s, ev.Type)
		}
	}, selector)
}

// missingFromList records the Secrets held before a re-list that the list no longer has.
func (w *valueWatch) missingFromList(present map[types.NamespacedName]bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for key := range w.held {
		if !present[key] {
			w.lost = append(w.lost, key.String()+": missing from a re-list")
			delete(w.held, key)
		}
	}
}

// observe checks one state of a Secret.
func (w *valueWatch) observe(s *corev1.Secret, how watch.EventType) {
	key := client.ObjectKeyFromObject(s)
	w.mu.Lock()
	defer w.mu.Unlock()
	i, ours := w.index[key]
	if !ours {
		return
	}
	if how == watch.Deleted {
		w.lost = append(w.lost, key.String()+": deleted")
		delete(w.held, key)
		return
	}
	k, generation, ok := parseValue(string(s.Data[secretKey]))
	previous, seen := w.held[key]
	switch {
	case !ok || k != keyOf(i, w.cfg.K):
		w.wrong = append(w.wrong, fmt.Sprintf("%s: bytes that are no value of %s", key, remoteKey(keyOf(i, w.cfg.K))))
		return
	case seen && generation < previous:
		w.wrong = append(w.wrong, fmt.Sprintf("%s: generation %d after %d", key, generation, previous))
		return
	}
	w.held[key] = generation
	for _, rot := range w.rotations {
		if !rot.done && rot.key == k && generation >= rot.generation && (!seen || previous < rot.generation) {
			rot.waiting--
			if rot.waiting == 0 {
				rot.done = true
				if !rot.at.IsZero() {
					rot.arrived = time.Since(rot.at)
				}
			}
		}
	}
}

// parseValue reads the key and generation out of a value written by remoteValue.
func parseValue(v string) (key, generation int, ok bool) {
	var rest string
	n, err := fmt.Sscanf(v, "value-of-key-%05d-generation-%d-%s", &key, &generation, &rest)
	if err != nil || n != 3 || v != remoteValue(key, generation) {
		return 0, 0, false
	}
	return key, generation, true
}

// rotating registers a new value of key before it is written, so that an arrival seen
// before the write returns is not missed; written sets its time.
func (w *valueWatch) rotating(key, generation int) (written func()) {
	readers := 0
	for i := key; i < w.cfg.N; i += w.cfg.K {
		readers++
	}
	rot := &rotationRecord{key: key, generation: generation, waiting: readers}
	w.mu.Lock()
	w.rotations = append(w.rotations, rot)
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		rot.at = time.Now()
		w.mu.Unlock()
	}
}

// pending counts rotations that have not reached every Secret yet.
func (w *valueWatch) pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, rot := range w.rotations {
		if !rot.done {
			n++
		}
	}
	return n
}

// soakValues is what the watch found.
type soakValues struct {
	Lost, Wrong   []string
	Rotations     int
	Arrived       int
	LongestArrive time.Duration
	WatchBreaks   int
}

func (w *valueWatch) result() soakValues {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := soakValues{Lost: append([]string(nil), w.lost...), Wrong: append([]string(nil), w.wrong...),
		Rotations: len(w.rotations), WatchBreaks: w.watchErrs}
	for _, rot := range w.rotations {
		if rot.done {
			out.Arrived++
			out.LongestArrive = max(out.LongestArrive, rot.arrived)
		}
	}
	return out
}
