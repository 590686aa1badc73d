package pushsecret

import (
	"errors"
	"testing"
	"time"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
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
