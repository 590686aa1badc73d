package changefeed

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/fetch"
)

// SourceRelay is the source label of reports another replica received.
const SourceRelay = "relay"

// Relay defaults.
const (
	// relayKeep is how long a report stays in the carrier, and how old a report a replica
	// that starts still acts on.
	relayKeep = time.Minute
	// relayMaxReports bounds the carrier; the oldest reports go first.
	relayMaxReports = 256
	// relayFlush is how long reports wait to be written together.
	relayFlush   = 100 * time.Millisecond
	relayDataKey = "reports"
)

// Relay shares change reports between sharded replicas. Feeds and the HTTP endpoint run on
// the elected replica, whose index knows only the objects of its own shards; the relay
// appends each report it routes to one ConfigMap (the carrier), which every replica
// watches and routes through its own hub. One write per report (or per burst of reports),
// whatever the number of replicas. A report is a hint (a store and key names, never a
// value), so the carrier holds nothing secret. The manager runs it on every replica.
type Relay struct {
	// Client reads, writes and watches the carrier; uncached.
	Client client.WithWatch
	// Namespace and Name name the carrier ConfigMap.
	Namespace, Name string
	// Identity names this replica, so that it skips the reports it wrote itself.
	Identity string
	// Hub routes relayed reports; SetRelay connects its reports to Publish.
	Hub *Hub

	mu      sync.Mutex
	pending []relayedReport
	wake    chan struct{}
	seen    int64 // the highest sequence number acted on
}

// relayedReport is one report in the carrier.
type relayedReport struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	From      string    `json:"from"`
	Kind      string    `json:"kind"`
	Namespace string    `json:"namespace,omitempty"`
	Name      string    `json:"name"`
	Keys      []string  `json:"keys"`
}

func (r relayedReport) store() fetch.StoreID {
	return fetch.StoreID{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
}

// NeedLeaderElection is false: every replica routes the relayed reports to its shards.
func (r *Relay) NeedLeaderElection() bool { return false }

// Publish queues a report this replica received for the carrier.
func (r *Relay) Publish(store fetch.StoreID, keys []string) {
	r.mu.Lock()
	r.pending = append(r.pending, relayedReport{At: time.Now(), From: r.Identity, Kind: store.Kind,
		Namespace: store.Namespace, Name: store.Name, Keys: slices.Clone(keys)})
	wake := r.wake
	r.mu.Unlock()
	if wake != nil {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
}

// Start writes queued reports and routes the carrier's until ctx ends.
func (r *Relay) Start(ctx context.Context) error {
	r.mu.Lock()
	r.wake = make(chan struct{}, 1)
	wake := r.wake
	r.mu.Unlock()
	go r.write(ctx, wake)
	r.watch(ctx, time.Now().Add(-relayKeep))
	return nil
}

// write flushes the queued reports whenever some arrive, retrying while the API server
// refuses.
func (r *Relay) write(ctx context.Context, wake <-chan struct{}) {
	log := ctrl.LoggerFrom(ctx).WithName("change-relay")
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
		sleep(ctx, relayFlush)
		r.mu.Lock()
		batch := r.pending
		r.pending = nil
		r.mu.Unlock()
		for attempt := 0; len(batch) > 0; attempt++ {
			err := r.append(ctx, batch)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return
			}
			log.Error(err, "Relaying change reports to the other replicas", "reports", len(batch), "attempt", attempt+1)
			sleep(ctx, min(time.Duration(attempt+1)*500*time.Millisecond, 5*time.Second))
		}
	}
}

// append adds batch to the carrier, numbering it after the reports already there, and
// drops the reports older than relayKeep or beyond relayMaxReports.
func (r *Relay) append(ctx context.Context, batch []relayedReport) error {
	var cm corev1.ConfigMap
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: r.Namespace, Name: r.Name}, &cm)
	create := apierrors.IsNotFound(err)
	if err != nil && !create {
		return err
	}
	reports := decodeReports(cm.Data[relayDataKey])
	var seq int64
	for _, rep := range reports {
		seq = max(seq, rep.Seq)
	}
	for _, rep := range batch {
		seq++
		rep.Seq = seq
		reports = append(reports, rep)
	}
	cutoff := time.Now().Add(-relayKeep)
	reports = slices.DeleteFunc(reports, func(rep relayedReport) bool { return rep.At.Before(cutoff) })
	if len(reports) > relayMaxReports {
		reports = reports[len(reports)-relayMaxReports:]
	}
	body, err := json.Marshal(reports)
	if err != nil {
		return err
	}
	if create {
		cm = corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: r.Namespace, Name: r.Name,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "ferry"}}}
	}
	cm.Data = map[string]string{relayDataKey: string(body)}
	if create {
		return r.Client.Create(ctx, &cm)
	}
	// The resourceVersion read above makes a concurrent writer's update fail here; the
	// retry rereads and renumbers.
	return r.Client.Update(ctx, &cm)
}

// watch routes the carrier's reports, from since on, as the carrier changes.
func (r *Relay) watch(ctx context.Context, since time.Time) {
	log := ctrl.LoggerFrom(ctx).WithName("change-relay")
	byName := client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("metadata.name", r.Name)}
	for ctx.Err() == nil {
		var list corev1.ConfigMapList
		if err := r.Client.List(ctx, &list, client.InNamespace(r.Namespace), byName); err != nil {
			log.Error(err, "Listing the change relay's ConfigMap")
			sleep(ctx, 2*time.Second)
			continue
		}
		for i := range list.Items {
			r.deliver(ctx, &list.Items[i], since)
		}
		w, err := r.Client.Watch(ctx, &corev1.ConfigMapList{ListMeta: metav1.ListMeta{ResourceVersion: list.ResourceVersion}},
			client.InNamespace(r.Namespace), byName)
		if err != nil {
			log.Error(err, "Watching the change relay's ConfigMap")
			sleep(ctx, 2*time.Second)
			continue
		}
		for ev := range w.ResultChan() {
			if cm, ok := ev.Object.(*corev1.ConfigMap); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) {
				r.deliver(ctx, cm, since)
			}
		}
		w.Stop()
	}
}

// deliver routes the carrier's reports not seen yet, received since since, that another
// replica wrote.
func (r *Relay) deliver(ctx context.Context, cm *corev1.ConfigMap, since time.Time) {
	reports := decodeReports(cm.Data[relayDataKey])
	if len(reports) == 0 {
		return
	}
	r.mu.Lock()
	if last := reports[len(reports)-1].Seq; last < r.seen {
		// The carrier was recreated: its numbering starts again.
		r.seen = 0
	}
	var fresh []relayedReport
	for _, rep := range reports {
		if rep.Seq <= r.seen {
			continue
		}
		r.seen = rep.Seq
		if rep.From != r.Identity && !rep.At.Before(since) {
			fresh = append(fresh, rep)
		}
	}
	r.mu.Unlock()
	for _, rep := range fresh {
		n := r.Hub.route(rep.store(), rep.Keys, SourceRelay)
		ctrl.LoggerFrom(ctx).V(1).Info("Relayed change report", "store", fmt.Sprintf("%s %s/%s", rep.Kind, rep.Namespace, rep.Name),
			"from", rep.From, "objects", n)
	}
}

func decodeReports(s string) []relayedReport {
	var reports []relayedReport
	if s == "" || json.Unmarshal([]byte(s), &reports) != nil {
		return nil
	}
	slices.SortFunc(reports, func(a, b relayedReport) int { return cmp.Compare(a.Seq, b.Seq) })
	return reports
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
