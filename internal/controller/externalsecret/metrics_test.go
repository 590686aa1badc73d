package externalsecret_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestReadyConditionMetric checks ESO's per-object series as a dashboard reads them: after a
// sync externalsecret_status_condition{condition="Ready",status="True"} is 1 (and False 0),
// a failure flips them, and deleting the object removes its series.
func TestReadyConditionMetric(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", "db", dbPass)
	es := externalSecret(ns, "db", "store", time.Hour)
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("password", "db", "")}
	create(t, es)
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)

	labels := func(status string) map[string]string {
		return map[string]string{"name": "db", "namespace": ns, "condition": "Ready", "status": status}
	}
	object := map[string]string{"name": "db", "namespace": ns}
	// The gauge is set before the status is written, so it already shows what the status shows.
	wantSample(t, "externalsecret_status_condition", labels("True"), 1)
	wantSample(t, "externalsecret_status_condition", labels("False"), 0)
	if v, ok := sample(t, "externalsecret_sync_calls_total", object); !ok || v < 1 {
		t.Errorf("externalsecret_sync_calls_total = %v (present %v), want at least 1", v, ok)
	}
	if v, ok := sample(t, "externalsecret_reconcile_duration", object); !ok || v <= 0 {
		t.Errorf("externalsecret_reconcile_duration = %v (present %v), want a duration in nanoseconds", v, ok)
	}

	update(t, es, func(es *esv1.ExternalSecret) { es.Spec.SecretStoreRef.Name = "no-such-store" })
	waitReady(t, es, corev1.ConditionFalse, esv1.ReasonStoreNotFound)
	wantSample(t, "externalsecret_status_condition", labels("True"), 0)
	wantSample(t, "externalsecret_status_condition", labels("False"), 1)
	if v, ok := sample(t, "externalsecret_sync_calls_error", object); !ok || v < 1 {
		t.Errorf("externalsecret_sync_calls_error = %v (present %v), want at least 1", v, ok)
	}

	if err := k8s.Delete(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "the deleted object's series removed", func() (bool, error) {
		for _, name := range []string{"externalsecret_status_condition", "externalsecret_reconcile_duration",
			"externalsecret_sync_calls_total", "externalsecret_sync_calls_error"} {
			if v, ok := sample(t, name, object); ok {
				return false, fmt.Errorf("%s still served (%v)", name, v)
			}
		}
		return true, nil
	})
}

func wantSample(t *testing.T, name string, labels map[string]string, want float64) {
	t.Helper()
	if v, ok := sample(t, name, labels); !ok || v != want {
		t.Errorf("%s%v = %v (present %v), want %v", name, labels, v, ok, want)
	}
}

// sample returns the value of the first series of the metric name on the operator's
// /metrics whose labels include every one of labels.
func sample(t *testing.T, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	families, err := testenv.Scrape(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	if f := families[name]; f != nil {
		for _, m := range f.GetMetric() {
			matched := 0
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
					matched++
				}
			}
			if matched < len(labels) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue(), true
			}
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}
