package operator

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

func TestEventRecorder(t *testing.T) {
	kube := fake.NewClientBuilder().WithScheme(Scheme()).Build()
	r := newEventRecorder(Scheme(), kube, "ferry")
	now := time.Unix(1_000_000, 0)
	r.now = func() time.Time { return now }
	es := func(name string) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: "uid-" + types.UID(name)}}
	}
	r.Eventf(es("a"), nil, corev1.EventTypeNormal, "Created", "Sync", "Created Secret %s", "a")
	now = now.Add(time.Second)
	r.Eventf(es("a"), nil, corev1.EventTypeNormal, "Created", "Sync", "Created Secret %s", "a") // a repeat
	now = now.Add(time.Second)
	r.Eventf(es("b"), nil, corev1.EventTypeNormal, "Created", "Sync", "Created Secret %s", "b")
	now = now.Add(time.Second)
	r.Eventf(es("a"), nil, corev1.EventTypeWarning, "SecretSyncedError", "Sync", "%s", strings.Repeat("é", 1000))
	now = now.Add(eventRepeatWindow + time.Second)
	r.Eventf(es("a"), nil, corev1.EventTypeNormal, "Created", "Sync", "Created Secret %s", "a") // long after
	r.Eventf(es("a"), nil, "Unknown", "Created", "Sync", "an invalid type is not recorded")

	// The writers start only now, so the queue shows exactly what was recorded.
	if n := len(r.queue); n != 4 {
		t.Fatalf("queued %d events; want 4: a repeat within %s is dropped, one after it is not, an invalid type is not recorded", n, eventRepeatWindow)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = r.Start(ctx) }()
	var list eventsv1.EventList
	testenv.Eventually(t, 10*time.Second, "four events written", func() (bool, error) {
		err := kube.List(context.Background(), &list)
		return len(list.Items) == 4, err
	})
	var notes []string
	for _, e := range list.Items {
		if e.ReportingController != "ferry" || !strings.HasPrefix(e.ReportingInstance, "ferry-") || e.Regarding.Kind != "ExternalSecret" ||
			e.Action != "Sync" || e.EventTime.IsZero() || e.Namespace != "ns" {
			t.Errorf("event %s is missing fields: %+v", e.Name, e)
		}
		if len(e.Note) > maxNoteBytes || !utf8.ValidString(e.Note) {
			t.Errorf("note of %d bytes, valid UTF-8 %v; want at most %d bytes of valid UTF-8", len(e.Note), utf8.ValidString(e.Note), maxNoteBytes)
		}
		notes = append(notes, fmt.Sprintf("%s %s %s", e.Regarding.Name, e.Type, e.Reason))
	}
	if len(notes) != 4 {
		t.Fatalf("wrote %v; want the 4 queued events", notes)
	}
}

func TestEventRecorderMemoryIsBounded(t *testing.T) {
	r := newEventRecorder(Scheme(), fake.NewClientBuilder().WithScheme(Scheme()).Build(), "ferry")
	for i := range 3 * eventRepeatMemory {
		obj := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: fmt.Sprint(i), UID: types.UID(fmt.Sprint(i))}}
		r.Eventf(obj, nil, corev1.EventTypeNormal, "Created", "Sync", "Created Secret %d", i)
	}
	if len(r.recent) > eventRepeatMemory || len(r.order) > eventRepeatMemory {
		t.Fatalf("remembers %d events, want at most %d", len(r.recent), eventRepeatMemory)
	}
	if len(r.queue) > eventQueue {
		t.Fatalf("queues %d events, want at most %d", len(r.queue), eventQueue)
	}
}
