package externalsecret

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

var (
	writerA = types.NamespacedName{Namespace: "ns", Name: "a"}
	writerB = types.NamespacedName{Namespace: "ns", Name: "b"}
	target  = types.NamespacedName{Namespace: "ns", Name: "db"}
)

func version(rv string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: target.Namespace, Name: target.Name, ResourceVersion: rv}}
}

// queued returns the writers an event of secret queues, of a and b.
func (e *echoes) queued(secret client.Object) []string {
	var out []string
	for _, r := range e.drop(secret, []reconcile.Request{{NamespacedName: writerA}, {NamespacedName: writerB}}) {
		out = append(out, r.Name)
	}
	return out
}

// The event of a sync's own write queues the Secret's other writers but not it, whether it
// comes after the write returned or before; any other event queues every writer.
func TestEchoes(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	var e echoes

	// The response first, then the event.
	e.writing(target, writerA, now)
	if missed := e.wrote(target, writerA, "7"); missed {
		t.Error("a write with no event meanwhile reported a missed event")
	}
	if got := e.queued(version("7")); !slices.Equal(got, []string{"b"}) {
		t.Errorf("the event of a's own write queued %v, want [b]", got)
	}
	if got := e.queued(version("7")); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("a second event of the same version queued %v, want both writers", got)
	}

	// The event first, then the response.
	e.writing(target, writerA, now)
	if got := e.queued(version("8")); !slices.Equal(got, []string{"b"}) {
		t.Errorf("an event while a's write was in flight queued %v, want [b]", got)
	}
	if missed := e.wrote(target, writerA, "8"); missed {
		t.Error("the write's own event, come before its response, reported as missed")
	}
	if got := e.queued(version("8")); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("after the write ended, its version queued %v, want both writers", got)
	}

	// Someone else's change while a's write was in flight: a must reconcile again.
	e.writing(target, writerA, now)
	e.queued(version("9"))
	if missed := e.wrote(target, writerA, "10"); !missed {
		t.Error("an event of another version, held back during the write, was not reported")
	}
	e.writing(target, writerA, now)
	e.queued(version("11"))
	if missed := e.wrote(target, writerA, ""); !missed {
		t.Error("an event held back during a failed write was not reported")
	}

	// A later version than the one written queues everyone, and ends the record.
	e.writing(target, writerA, now)
	e.wrote(target, writerA, "12")
	if got := e.queued(version("13")); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("a later version than a wrote queued %v, want both writers", got)
	}
	if got := e.queued(version("12")); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("after another version's event, a's record must be gone: queued %v", got)
	}

	// Two writers of one Secret at once: neither loses an event.
	e.writing(target, writerA, now)
	e.writing(target, writerB, now)
	if missed := e.wrote(target, writerA, "14"); !missed {
		t.Error("a write whose record another writer replaced must reconcile again")
	}
	e.wrote(target, writerB, "15")

	// A generic target of the same name is not a Secret.
	e.writing(target, writerA, now)
	e.wrote(target, writerA, "16")
	meta := &metav1.PartialObjectMetadata{ObjectMeta: version("16").ObjectMeta}
	if got := e.queued(meta); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("a generic target of the Secret's name and version queued %v, want both writers", got)
	}

	// A record whose event never came is forgotten after echoTTL.
	other := types.NamespacedName{Namespace: "ns", Name: "other"}
	e.writing(other, writerB, now.Add(2*echoTTL))
	if _, kept := e.written[other]; !kept || len(e.written) != 1 {
		t.Errorf("records after a write past echoTTL: %v, want only the new one", e.written)
	}
}

// controller-runtime maps both versions of an update; an update that is the echo of a's
// write queues b alone, any other update both.
func TestEchoesOfUpdates(t *testing.T) {
	var e echoes
	h := secretEvents{echoes: &e, EventHandler: handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		return e.drop(o, []reconcile.Request{{NamespacedName: writerA}, {NamespacedName: writerB}})
	})}
	queued := func(old, new string) []string {
		q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
		defer q.ShutDown()
		h.Update(context.Background(), event.UpdateEvent{ObjectOld: version(old), ObjectNew: version(new)}, q)
		var out []string
		for q.Len() > 0 {
			r, _ := q.Get()
			out = append(out, r.Name)
			q.Done(r)
		}
		slices.Sort(out)
		return out
	}
	e.writing(target, writerA, time.Now())
	if got := queued("7", "8"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("an update while a's write was in flight queued %v, want [b]", got)
	}
	e.wrote(target, writerA, "8")
	e.writing(target, writerA, time.Now())
	e.wrote(target, writerA, "9")
	if got := queued("8", "9"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("the update a wrote queued %v, want [b]", got)
	}
	if got := queued("9", "10"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("someone else's update after a's queued %v, want [a b]", got)
	}
}
