package pushsecret

import (
	"errors"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/controller/statuswrite"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

func TestDecide(t *testing.T) {
	const interval = 10 * time.Minute
	tests := []struct {
		name         string
		err          error
		ready        bool
		reason       string
		requeueAfter time.Duration
		retried      bool
	}{
		{"pushed", nil, true, ReasonSynced, interval, false},
		{"provider error: backoff", errors.New("throttled"), false, ReasonErrored, 0, true},
		{"store not ready: waits for the store", failure.Permanent(esv1.ReasonStoreNotReady, "not ready"), false, esv1.ReasonStoreNotReady, interval, false},
		{"unsupported field: waits for the user", failure.Permanent(esv1.ReasonNotSupported, "dataTo"), false, esv1.ReasonNotSupported, interval, false},
		{"API error: backoff", failure.Transient(esv1.ReasonSecretSyncedError, errors.New("conflict")), false, esv1.ReasonSecretSyncedError, 0, true},
		{"429 with Retry-After: after it, no backoff", fmt.Errorf("pushing: %w", &restclient.StatusError{Status: 429, RetryAfter: 90 * time.Second}),
			false, ReasonErrored, 90 * time.Second, false},
		{"Retry-After of a day: at most an hour", &restclient.StatusError{Status: 503, RetryAfter: 24 * time.Hour},
			false, ReasonErrored, time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := decide(tt.err, interval)
			if v.ready != tt.ready || v.reason != tt.reason || v.result.RequeueAfter != tt.requeueAfter || (v.retry != nil) != tt.retried {
				t.Fatalf("decide() = ready %v reason %s after %s retry %v; want %v %s %s %v",
					v.ready, v.reason, v.result.RequeueAfter, v.retry, tt.ready, tt.reason, tt.requeueAfter, tt.retried)
			}
		})
	}
}

func TestGenerationDue(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	pushed := func(interval time.Duration, ago time.Duration, ready bool) *esv1alpha1.PushSecret {
		ps := &esv1alpha1.PushSecret{Spec: esv1alpha1.PushSecretSpec{RefreshInterval: esv1.NewDuration(interval)}}
		ps.Generation = 3
		ps.Status.SyncedResourceVersion = statuswrite.SyncedVersion(ps)
		ps.Status.RefreshTime = metav1.NewTime(now.Add(-ago))
		status := metav1.ConditionTrue
		if !ready {
			status = metav1.ConditionFalse
		}
		ps.Status.Conditions = []esv1alpha1.PushSecretStatusCondition{{Type: conditionReady, Status: status}}
		return ps
	}
	tests := []struct {
		name  string
		ps    *esv1alpha1.PushSecret
		due   bool
		after time.Duration
	}{
		{"never pushed", &esv1alpha1.PushSecret{Spec: esv1alpha1.PushSecretSpec{RefreshInterval: esv1.NewDuration(time.Hour)}}, true, 0},
		{"pushed 10m ago, 1h interval: the value is kept", pushed(time.Hour, 10*time.Minute, true), false, 50 * time.Minute},
		{"interval elapsed: a new value", pushed(time.Hour, time.Hour, true), true, 0},
		{"last attempt failed: generate again", pushed(time.Hour, 10*time.Minute, false), true, 0},
		{"refreshInterval 0: generated once", pushed(0, 1000*time.Hour, true), false, 0},
		{"spec changed", func() *esv1alpha1.PushSecret { ps := pushed(time.Hour, time.Minute, true); ps.Generation++; return ps }(), true, 0},
		{"annotation changed (force sync)", func() *esv1alpha1.PushSecret {
			ps := pushed(time.Hour, time.Minute, true)
			ps.Annotations = map[string]string{"force-sync": "1"}
			return ps
		}(), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, after := generationDue(tt.ps, now)
			if due != tt.due || after != tt.after {
				t.Fatalf("generationDue() = %v, %s; want %v, %s", due, after, tt.due, tt.after)
			}
		})
	}
}
