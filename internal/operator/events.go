package operator

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/reference"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Limits of the event recorder.
const (
	// eventQueue bounds the events waiting to be written (about 1.5 MB at most); more are
	// dropped, as client-go's broadcaster drops them when its queue is full.
	eventQueue = 4096
	// eventWriters write events in parallel: enough to keep up with a cold start's syncs
	// (one Created event each) on a busy API server.
	eventWriters = 8
	// eventRepeatWindow: an event identical to one recorded this recently (same object,
	// type, reason and note) is not recorded again.
	eventRepeatWindow = 10 * time.Minute
	// eventRepeatMemory bounds the events remembered for that.
	eventRepeatMemory = 4096
	// maxNoteBytes is the longest note the events API accepts.
	maxNoteBytes = 1024
)

// eventRecorder records events.k8s.io/v1 Events in memory bounded by constants, not by the
// number of events. client-go's broadcaster keeps every event of the last six minutes, to fold
// repeats into series: after a cold start of 10,000 ExternalSecrets, one "Created" event each,
// that is 12 MB held for nothing. This recorder remembers a bounded number of recent events
// only to drop identical repeats, and otherwise writes and forgets.
type eventRecorder struct {
	scheme     *runtime.Scheme
	kube       client.Client
	controller string
	instance   string
	now        func() time.Time
	queue      chan *queuedEvent

	mu     sync.Mutex
	recent map[eventKey]time.Time
	order  []eventKey // oldest first; recent holds the same keys
}

// eventKey identifies an event by a 128-bit hash of what makes it a repeat (object, type,
// reason, note, related object): 16 bytes remembered instead of the strings, a note among
// them, that a whole key held (4,096 of them were 3.6 MB after a cold start).
type eventKey [16]byte

func newEventKey(fields ...string) eventKey {
	h := fnv.New128a()
	var n [8]byte
	for _, f := range fields {
		binary.LittleEndian.PutUint64(n[:], uint64(len(f)))
		_, _ = h.Write(n[:])
		_, _ = h.Write([]byte(f))
	}
	var k eventKey
	h.Sum(k[:0])
	return k
}

var _ events.EventRecorder = (*eventRecorder)(nil)

// newEventRecorder returns a recorder reporting as controller; start it with Start.
func newEventRecorder(scheme *runtime.Scheme, kube client.Client, controller string) *eventRecorder {
	hostname, _ := os.Hostname()
	instance := controller + "-" + hostname
	if len(instance) > 128 {
		instance = instance[:128]
	}
	return &eventRecorder{scheme: scheme, kube: kube, controller: controller, instance: instance, now: time.Now,
		queue: make(chan *queuedEvent, eventQueue), recent: map[eventKey]time.Time{}}
}

// Start writes queued events until ctx ends. It is a manager Runnable that runs on every
// replica: a standby that records nothing writes nothing.
func (r *eventRecorder) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for range eventWriters {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case ev := <-r.queue:
					r.write(ctx, ev)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// NeedLeaderElection is false: events of a replica are written whether or not it leads.
func (r *eventRecorder) NeedLeaderElection() bool { return false }

func (r *eventRecorder) write(ctx context.Context, q *queuedEvent) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ev := r.event(q)
	if err := r.kube.Create(ctx, ev); err != nil {
		ctrl.LoggerFrom(ctx).V(1).Info("Recording an event failed", "reason", ev.Reason,
			"regarding", ev.Regarding.Kind+"/"+ev.Regarding.Namespace+"/"+ev.Regarding.Name, "error", err.Error())
	}
}

// Eventf records an event about regarding (and related, which may be nil).
func (r *eventRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	r.record(regarding, related, nil, eventtype, reason, action, fmt.Sprintf(note, args...))
}

// AnnotatedEventf is Eventf with annotations on the Event.
func (r *eventRecorder) AnnotatedEventf(regarding, related runtime.Object, annotations map[string]string,
	eventtype, reason, action, note string, args ...any) {
	r.record(regarding, related, annotations, eventtype, reason, action, fmt.Sprintf(note, args...))
}

func (r *eventRecorder) record(regarding, related runtime.Object, annotations map[string]string, eventtype, reason, action, note string) {
	if eventtype != corev1.EventTypeNormal && eventtype != corev1.EventTypeWarning {
		return
	}
	ref, err := reference.GetReference(r.scheme, regarding)
	if err != nil {
		return
	}
	var relatedRef *corev1.ObjectReference
	if related != nil {
		relatedRef, _ = reference.GetReference(r.scheme, related)
	}
	note = truncateNote(note)
	now := r.now()
	if r.repeated(ref, relatedRef, eventtype, reason, note, now) {
		return
	}
	q := &queuedEvent{regarding: *ref, related: relatedRef, annotations: annotations,
		eventtype: eventtype, reason: reason, action: action, note: note, at: now}
	select {
	case r.queue <- q:
	default: // full: drop, as client-go does
	}
}

// queuedEvent is an event waiting to be written: what it says, without the Event's
// own fields (a third of its memory) until it is written. During a cold start of 10,000
// ExternalSecrets the queue holds thousands.
type queuedEvent struct {
	regarding                       corev1.ObjectReference
	related                         *corev1.ObjectReference
	annotations                     map[string]string
	eventtype, reason, action, note string
	at                              time.Time
}

// event builds the Event q says.
func (r *eventRecorder) event(q *queuedEvent) *eventsv1.Event {
	namespace := q.regarding.Namespace
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	return &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%v.%x", q.regarding.Name, q.at.UnixNano()),
			Namespace: namespace, Annotations: q.annotations,
		},
		EventTime:           metav1.NewMicroTime(q.at),
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
		Action:              q.action,
		Reason:              q.reason,
		Regarding:           q.regarding,
		Related:             q.related,
		Note:                q.note,
		Type:                q.eventtype,
	}
}

// repeated says whether the same event was recorded within eventRepeatWindow, and
// remembers this one otherwise.
func (r *eventRecorder) repeated(ref, related *corev1.ObjectReference, eventtype, reason, note string, now time.Time) bool {
	object := string(ref.UID)
	if ref.UID == "" {
		object = ref.Kind + "/" + ref.Namespace + "/" + ref.Name
	}
	var relatedUID, relatedField string
	if related != nil {
		relatedUID, relatedField = string(related.UID), related.FieldPath
	}
	key := newEventKey(object, eventtype, reason, note, relatedUID, relatedField)
	r.mu.Lock()
	defer r.mu.Unlock()
	if at, ok := r.recent[key]; ok && now.Sub(at) < eventRepeatWindow {
		return true
	}
	if _, ok := r.recent[key]; !ok {
		r.order = append(r.order, key)
	}
	r.recent[key] = now
	for len(r.order) > eventRepeatMemory {
		delete(r.recent, r.order[0])
		r.order = r.order[1:]
	}
	return false
}

// truncateNote cuts note to what the events API accepts, on a character boundary.
func truncateNote(note string) string {
	if len(note) <= maxNoteBytes {
		return note
	}
	cut := maxNoteBytes - len("…")
	for cut > 0 && !utf8.RuneStart(note[cut]) {
		cut--
	}
	return note[:cut] + "…"
}
