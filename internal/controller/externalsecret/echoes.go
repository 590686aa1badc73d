package externalsecret

import (
	"context"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// missedEventRetry is how soon a sync runs again when an event of its target Secret, held
// back while it wrote, showed a version someone else wrote: at once (a zero RequeueAfter
// would mean no requeue).
const missedEventRetry = time.Millisecond

// echoes keeps the watch event of a sync's own write of its Secret from queueing that sync's
// object again: the sync that wrote the Secret has recorded the outcome, and the reconcile
// the event would queue (half of a cold start's reconciles) would only read the object and
// the Secret back and find nothing to do (docs/design/0008).
//
// A write is recorded before it is sent: the API server does not order a write's response
// and its watch event, and the event usually comes first. While the write is in flight, the
// Secret's events do not queue its writer; their versions are kept, and when the write
// returns, any version other than the one written means someone else changed the Secret
// meanwhile: wrote says so, and the writer reconciles again. After the write, the record
// waits for the event of the version written. Every other event of the Secret reaches every
// writer as before and ends the record; other writers of the same Secret (merge policies) are
// queued for the echo too.
type echoes struct {
	mu      sync.Mutex
	written map[types.NamespacedName]*echo
	swept   time.Time
}

type echo struct {
	writer types.NamespacedName
	// resourceVersion is the version written; "" while the write is in flight.
	resourceVersion string
	// seen are the versions whose events came while the write was in flight.
	seen []string
	at   time.Time
}

// echoTTL is how long a write's record waits for its event.
const echoTTL = time.Minute

// writing records that writer is about to write the Secret named secret.
func (e *echoes) writing(secret, writer types.NamespacedName, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.written == nil {
		e.written = map[types.NamespacedName]*echo{}
	}
	if now.Sub(e.swept) > echoTTL {
		for k, w := range e.written {
			if w.resourceVersion != "" && now.Sub(w.at) > echoTTL {
				delete(e.written, k)
			}
		}
		e.swept = now
	}
	e.written[secret] = &echo{writer: writer, at: now}
}

// wrote ends writer's write of secret: written is the version the API server returned, ""
// when the write failed. It reports whether an event of the Secret that did not reach the
// writer showed another version than its own: the writer must then reconcile again.
func (e *echoes) wrote(secret, writer types.NamespacedName, written string) (missed bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.written[secret]
	if !ok || w.writer != writer || w.resourceVersion != "" {
		// Another writer's write of the same Secret replaced the record: whatever came
		// meanwhile was held back from one of them.
		return true
	}
	missed = slices.ContainsFunc(w.seen, func(rv string) bool { return rv != written })
	if written == "" || len(w.seen) > 0 {
		// Failed, or the echo (or someone else's version) came already.
		delete(e.written, secret)
		return missed
	}
	w.resourceVersion = written
	return false
}

// drop removes from requests, the writers of secret, the one whose own write secret's
// event is.
func (e *echoes) drop(secret client.Object, requests []reconcile.Request) []reconcile.Request {
	if _, ok := secret.(*corev1.Secret); !ok {
		return requests
	}
	k := client.ObjectKeyFromObject(secret)
	rv := secret.GetResourceVersion()
	e.mu.Lock()
	w, ok := e.written[k]
	var writer types.NamespacedName
	switch {
	case !ok:
	case w.resourceVersion == "":
		w.seen = append(w.seen, rv)
		writer, ok = w.writer, true
	case w.resourceVersion == rv:
		delete(e.written, k)
		writer = w.writer
	default:
		delete(e.written, k)
		ok = false
	}
	e.mu.Unlock()
	if !ok {
		return requests
	}
	return slices.DeleteFunc(requests, func(r reconcile.Request) bool { return r.NamespacedName == writer })
}

// is says whether an event of secret is a write's echo, or comes while one is in flight.
func (e *echoes) is(secret client.Object) bool {
	if _, ok := secret.(*corev1.Secret); !ok {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.written[client.ObjectKeyFromObject(secret)]
	return ok && (w.resourceVersion == "" || w.resourceVersion == secret.GetResourceVersion())
}

// secretEvents maps a Secret's events to its writers (Reconciler.forSecret, which leaves
// out the writer of an echo). controller-runtime maps both versions of an update, and the
// old version maps to the same writers, the writer of the echo among them: an update that
// is an echo is mapped by its new version alone, as a creation is.
type secretEvents struct {
	handler.EventHandler
	echoes *echoes
}

func (h secretEvents) Update(ctx context.Context, evt event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	if h.echoes.is(evt.ObjectNew) {
		h.Create(ctx, event.CreateEvent{Object: evt.ObjectNew}, q)
		return
	}
	h.EventHandler.Update(ctx, evt, q)
}
