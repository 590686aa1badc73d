package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
)

// Kind is a kind of object that has ESO's per-object series; its value is their name prefix.
type Kind string

// The kinds whose objects have a status_condition and a reconcile_duration series.
const (
	ExternalSecret        Kind = "externalsecret"
	SecretStore           Kind = "secretstore"
	ClusterSecretStore    Kind = "clustersecretstore"
	PushSecret            Kind = "pushsecret"
	ClusterExternalSecret Kind = "clusterexternalsecret"
	ClusterPushSecret     Kind = "clusterpushsecret"
)

var kinds = []Kind{ExternalSecret, SecretStore, ClusterSecretStore, PushSecret, ClusterExternalSecret, ClusterPushSecret}

// The Ready condition is the one condition Ferry sets on every kind; its status is one of
// these (anything else is recorded as Unknown, so a label never takes a value Ferry did
// not choose).
const (
	conditionReady = "Ready"
	statusTrue     = "True"
	statusFalse    = "False"
	statusUnknown  = "Unknown"
)

// objectTable holds ESO's per-object series of one kind and makes them into series only when
// scraped. A GaugeVec keeps a labelled child (label values, hash entries, value) for every
// series, about 2 KB an object for the three or four of ESO's: 20 MB of heap at 10,000
// ExternalSecrets, doubled by the collector's headroom. An entry here is a few dozen bytes.
type objectTable struct {
	// condition is <kind>_status_condition{name,namespace,condition,status}.
	condition *prometheus.Desc
	// duration is <kind>_reconcile_duration{name,namespace}.
	duration *prometheus.Desc
	// calls and errors, for ExternalSecrets only, are ESO's
	// externalsecret_sync_calls_total and _error{name,namespace}.
	calls, errors *prometheus.Desc

	mu      sync.Mutex
	objects map[types.NamespacedName]*objectState
}

// objectState is what the series of one object show.
type objectState struct {
	duration      float64 // nanoseconds, as ESO reports it
	hasDuration   bool
	ready         string // "", or the status of the Ready condition
	calls, errors uint64
}

func newObjectTable(kind Kind) *objectTable {
	t := &objectTable{
		condition: prometheus.NewDesc(string(kind)+"_status_condition",
			"Status of the Ready condition of each "+string(kind)+": 1 for its current status, 0 for the opposite one.",
			[]string{"name", "namespace", "condition", "status"}, nil),
		duration: prometheus.NewDesc(string(kind)+"_reconcile_duration",
			"Duration of the last reconcile of each "+string(kind)+", in nanoseconds (as ESO reports it).",
			[]string{"name", "namespace"}, nil),
		objects: map[types.NamespacedName]*objectState{},
	}
	if kind == ExternalSecret {
		t.calls = prometheus.NewDesc(syncCallsName, syncCallsHelp, []string{"name", "namespace"}, nil)
		t.errors = prometheus.NewDesc(syncErrorsName, syncErrorsHelp, []string{"name", "namespace"}, nil)
	}
	return t
}

// update changes the state of the object key under the table's lock, creating it if needed.
func (t *objectTable) update(key types.NamespacedName, change func(*objectState)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.objects[key]
	if s == nil {
		s = &objectState{}
		t.objects[key] = s
	}
	change(s)
}

func (t *objectTable) forget(key types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.objects, key)
}

// Describe implements prometheus.Collector.
func (t *objectTable) Describe(ch chan<- *prometheus.Desc) {
	ch <- t.condition
	ch <- t.duration
	if t.calls != nil {
		ch <- t.calls
		ch <- t.errors
	}
}

// Collect implements prometheus.Collector. It copies the table under the lock and builds
// the series outside it, so that a scrape does not hold up reconciles.
func (t *objectTable) Collect(ch chan<- prometheus.Metric) {
	type row struct {
		key types.NamespacedName
		objectState
	}
	t.mu.Lock()
	rows := make([]row, 0, len(t.objects))
	for k, s := range t.objects {
		rows = append(rows, row{k, *s})
	}
	t.mu.Unlock()
	for _, r := range rows {
		name, ns := r.key.Name, r.key.Namespace
		if r.hasDuration {
			ch <- prometheus.MustNewConstMetric(t.duration, prometheus.GaugeValue, r.duration, name, ns)
		}
		// The current status reads 1; for True and False the opposite one reads 0, as ESO
		// does, so that both an alert on status="False" and a panel of status="True" work.
		switch r.ready {
		case statusTrue, statusFalse:
			ch <- prometheus.MustNewConstMetric(t.condition, prometheus.GaugeValue, oneIf(r.ready == statusTrue), name, ns, conditionReady, statusTrue)
			ch <- prometheus.MustNewConstMetric(t.condition, prometheus.GaugeValue, oneIf(r.ready == statusFalse), name, ns, conditionReady, statusFalse)
		case statusUnknown:
			ch <- prometheus.MustNewConstMetric(t.condition, prometheus.GaugeValue, 1, name, ns, conditionReady, statusUnknown)
		}
		if t.calls != nil && r.calls > 0 {
			ch <- prometheus.MustNewConstMetric(t.calls, prometheus.CounterValue, float64(r.calls), name, ns)
		}
		if t.errors != nil && r.errors > 0 {
			ch <- prometheus.MustNewConstMetric(t.errors, prometheus.CounterValue, float64(r.errors), name, ns)
		}
	}
}

func oneIf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Reconciled records one reconcile of an object of kind: how long it took, and the status
// of its Ready condition ("True", "False" or "Unknown"; "" leaves the recorded status as it
// is). Cluster-scoped objects have an empty namespace. With LabelsLow it records nothing.
func (m *Metrics) Reconciled(kind Kind, key types.NamespacedName, ready string, took time.Duration) {
	if m == nil || m.objects[kind] == nil {
		return
	}
	if ready != "" && ready != statusTrue && ready != statusFalse {
		ready = statusUnknown
	}
	m.objects[kind].update(key, func(s *objectState) {
		// A float64 of a time.Duration is nanoseconds, the unit ESO's dashboards expect.
		s.duration, s.hasDuration = float64(took), true
		if ready != "" {
			s.ready = ready
		}
	})
}

// Forget removes every series of an object: it was deleted, or is now handled by another
// Ferry instance. Without it, each object ever seen would keep its series until a restart.
func (m *Metrics) Forget(kind Kind, key types.NamespacedName) {
	if m == nil || m.objects[kind] == nil {
		return
	}
	m.objects[kind].forget(key)
}
