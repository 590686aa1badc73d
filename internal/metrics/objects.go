package metrics

import (
	"cmp"
	"slices"
	"sync"
	"time"

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

// objectTable holds ESO's per-object series of one kind and writes them only when scraped,
// straight into the scrape's response (writeText). A GaugeVec keeps a labelled child (label
// values, hash entries, value) for every series, about 2 KB an object for the three or four
// of ESO's: 20 MB of heap at 10,000 ExternalSecrets, doubled by the collector's headroom. An
// entry here is a few dozen bytes. Gathering them as a prometheus.Collector would build every
// series as a metric object at each scrape: 40 MB allocated and most of it held at once for
// 10,000 ExternalSecrets (BenchmarkScrape), which raised the operator's peak memory at every
// scrape; written as text they cost a copy of the table.
type objectTable struct {
	// condition is <kind>_status_condition{name,namespace,condition,status}.
	condition family
	// duration is <kind>_reconcile_duration{name,namespace}.
	duration family
	// calls and errors, for ExternalSecrets only, are ESO's
	// externalsecret_sync_calls_total and _error{name,namespace}; empty names otherwise.
	calls, errors family

	mu      sync.Mutex
	objects map[types.NamespacedName]*objectState
}

// family is the name, help and type of a series family.
type family struct{ name, help, typ string }

// objectState is what the series of one object show.
type objectState struct {
	duration      float64 // nanoseconds, as ESO reports it
	hasDuration   bool
	ready         string // "", or the status of the Ready condition
	calls, errors uint64
}

func newObjectTable(kind Kind) *objectTable {
	t := &objectTable{
		condition: family{string(kind) + "_status_condition",
			"Status of the Ready condition of each " + string(kind) + ": 1 for its current status, 0 for the opposite one.", "gauge"},
		duration: family{string(kind) + "_reconcile_duration",
			"Duration of the last reconcile of each " + string(kind) + ", in nanoseconds (as ESO reports it).", "gauge"},
		objects: map[types.NamespacedName]*objectState{},
	}
	if kind == ExternalSecret {
		t.calls = family{syncCallsName, syncCallsHelp, "counter"}
		t.errors = family{syncErrorsName, syncErrorsHelp, "counter"}
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

// row is one object's state in a copy of the table.
type row struct {
	key types.NamespacedName
	objectState
}

// rows copies the table under its lock, sorted by namespace and name, so that a scrape
// does not hold up reconciles while it writes.
func (t *objectTable) rows() []row {
	t.mu.Lock()
	rows := make([]row, 0, len(t.objects))
	for k, s := range t.objects {
		rows = append(rows, row{k, *s})
	}
	t.mu.Unlock()
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.key.Namespace, b.key.Namespace), cmp.Compare(a.key.Name, b.key.Name))
	})
	return rows
}

// writeText writes the table's series in Prometheus' text format, one family after
// another; a family without series is left out, as a registry leaves it out.
func (t *objectTable) writeText(w *textWriter) {
	rows := t.rows()
	w.family(t.duration, rows, func(r *row) {
		if r.hasDuration {
			w.sample(r.key, "", "", r.duration)
		}
	})
	// The current status reads 1; for True and False the opposite one reads 0, as ESO does,
	// so that both an alert on status="False" and a panel of status="True" work.
	w.family(t.condition, rows, func(r *row) {
		switch r.ready {
		case statusTrue, statusFalse:
			w.sample(r.key, conditionReady, statusFalse, oneIf(r.ready == statusFalse))
			w.sample(r.key, conditionReady, statusTrue, oneIf(r.ready == statusTrue))
		case statusUnknown:
			w.sample(r.key, conditionReady, statusUnknown, 1)
		}
	})
	if t.calls.name == "" {
		return
	}
	w.family(t.calls, rows, func(r *row) {
		if r.calls > 0 {
			w.sample(r.key, "", "", float64(r.calls))
		}
	})
	w.family(t.errors, rows, func(r *row) {
		if r.errors > 0 {
			w.sample(r.key, "", "", float64(r.errors))
		}
	})
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
