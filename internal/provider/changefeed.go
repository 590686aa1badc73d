package provider

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// ChangeFeeder is implemented by providers that can follow a store's change feed (AWS:
// EventBridge to SQS). The feed is configured by Ferry's own annotations on the store,
// never by a field of the store's schema.
type ChangeFeeder interface {
	// NewChangeFeed returns the feed the store's annotations configure, or nil (and no
	// error) when they configure none. kube and namespace serve the store's auth as in
	// NewClient.
	NewChangeFeed(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (ChangeFeed, error)
}

// ChangeFeed delivers reports of changed remote keys.
type ChangeFeed interface {
	// Receive waits (long-polls) for the next reports and returns them, possibly none. An
	// error means the feed cannot receive (unreachable, credentials refused); the caller
	// reports the feed down and tries again.
	Receive(ctx context.Context) ([]Change, error)
	// Source names the feed in metrics and conditions ("aws-sqs").
	Source() string
}

// Change is one report: the keys it names, as the store's objects may write them (a
// secret's name, its ARN), and when the change happened at the provider (zero if unknown).
// Malformed reports are returned with no keys and Malformed set, so they are counted.
type Change struct {
	Keys      []string
	At        time.Time
	Malformed bool
}

// Pacer paces a feed whose backend answers at once when it holds nothing (a pull that does
// not wait for messages), so that an empty feed is polled at Cadence, not in a busy loop.
type Pacer struct {
	Cadence time.Duration
	// Now and Pause are the clock and the wait; tests replace them.
	Now   func() time.Time
	Pause func(ctx context.Context, d time.Duration)
}

// NewPacer returns a Pacer of cadence on the real clock.
func NewPacer(cadence time.Duration) Pacer {
	return Pacer{Cadence: cadence, Now: time.Now, Pause: func(ctx context.Context, d time.Duration) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}}
}

// Idle waits what remains of the cadence since start, when a receive begun at start found
// nothing.
func (p Pacer) Idle(ctx context.Context, start time.Time) {
	if rest := p.Cadence - p.Now().Sub(start); rest > 0 {
		p.Pause(ctx, rest)
	}
}

// ChangeKeys lists the keys of changes in order, and counts the malformed ones: what a
// feed's test compares.
func ChangeKeys(changes []Change) (keys []string, malformed int) {
	for _, c := range changes {
		keys = append(keys, c.Keys...)
		if c.Malformed {
			malformed++
		}
	}
	return keys, malformed
}
