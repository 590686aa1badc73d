package metrics

import (
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

var statuses = []string{statusTrue, statusFalse, statusUnknown}

// objectSeries are the per-object gauges of one kind.
type objectSeries struct {
	// condition is <kind>_status_condition{name,namespace,condition,status}.
	condition *prometheus.GaugeVec
	// duration is <kind>_reconcile_duration{name,namespace}.
	duration *prometheus.GaugeVec
}

func newObjectSeries(kind Kind) *objectSeries {
	return &objectSeries{
		condition: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: string(kind) + "_status_condition",
			Help: "Status of the Ready condition of each " + string(kind) + ": 1 for its current status, 0 for the opposite one.",
		}, []string{"name", "namespace", "condition", "status"}),
		duration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: string(kind) + "_reconcile_duration",
			Help: "Duration of the last reconcile of each " + string(kind) + ", in nanoseconds (as ESO reports it).",
		}, []string{"name", "namespace"}),
	}
}

// Reconciled records one reconcile of an object of kind: how long it took, and the status
// of its Ready condition ("True", "False" or "Unknown"; "" leaves the recorded status as it
// is). The status's series is set to 1; for True and False the opposite one is set to 0, as
// ESO does, so that both an alert on status="False" and a panel of status="True" work.
// Cluster-scoped objects have an empty namespace. With LabelsLow it records nothing.
func (m *Metrics) Reconciled(kind Kind, key types.NamespacedName, ready string, took time.Duration) {
	if m == nil || m.objects[kind] == nil {
		return
	}
	s := m.objects[kind]
	// A float64 of a time.Duration is nanoseconds, the unit ESO's dashboards expect.
	s.duration.WithLabelValues(key.Name, key.Namespace).Set(float64(took))
	if ready == "" {
		return
	}
	if ready != statusTrue && ready != statusFalse {
		ready = statusUnknown
	}
	for _, status := range statuses {
		labels := []string{key.Name, key.Namespace, conditionReady, status}
		switch {
		case status == ready:
			s.condition.WithLabelValues(labels...).Set(1)
		case status != statusUnknown && ready != statusUnknown:
			s.condition.WithLabelValues(labels...).Set(0)
		default:
			s.condition.DeleteLabelValues(labels...)
		}
	}
}

// Forget removes every series of an object: it was deleted, or is now handled by another
// Ferry instance. Without it, each object ever seen would keep its series until a restart.
func (m *Metrics) Forget(kind Kind, key types.NamespacedName) {
	if m == nil {
		return
	}
	if kind == ExternalSecret && m.labels != LabelsLow {
		m.syncCalls.DeleteLabelValues(key.Name, key.Namespace)
		m.syncErrors.DeleteLabelValues(key.Name, key.Namespace)
	}
	s := m.objects[kind]
	if s == nil {
		return
	}
	s.duration.DeleteLabelValues(key.Name, key.Namespace)
	for _, status := range statuses {
		s.condition.DeleteLabelValues(key.Name, key.Namespace, conditionReady, status)
	}
}
