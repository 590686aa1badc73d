package shard

import (
	"context"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

const (
	testCount = 16
	testLease = 1200 * time.Millisecond
	testRenew = 800 * time.Millisecond
	testRetry = 100 * time.Millisecond
)

func fakeClient(t *testing.T) client.Client {
	t.Helper()
	s := runtime.NewScheme()
	if err := coordinationv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(s).Build()
}

func newGate(t *testing.T, c client.Client, identity string) *Gate {
	t.Helper()
	g, err := New(Options{Client: c, Namespace: "ferry-system", Group: "ferry", Identity: identity, Count: testCount,
		KeyBy: ByNamespace, LeaseDuration: testLease, RenewDeadline: testRenew, RetryPeriod: testRetry})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func tick(t *testing.T, g *Gate) {
	t.Helper()
	if err := g.tick(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// noOverlap fails the test if two gates may work on one shard at this moment.
func noOverlap(t *testing.T, gates ...*Gate) {
	t.Helper()
	holders := map[int]string{}
	for _, g := range gates {
		for s := range g.heldShards() {
			if other, ok := holders[s]; ok {
				t.Fatalf("shard %d is worked on by %s and %s at once", s, other, g.Identity())
			}
			holders[s] = g.Identity()
		}
	}
}

// until ticks the gates every retry period, checking for overlap after each, until done
// returns true or the limit passes.
func until(t *testing.T, limit time.Duration, done func() bool, gates ...*Gate) {
	t.Helper()
	untilTicking(t, limit, done, gates, gates)
}

// untilTicking is until where only ticking tick and all of checked are checked.
func untilTicking(t *testing.T, limit time.Duration, done func() bool, ticking, gates []*Gate) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("not done within %s", limit)
		}
		for _, g := range ticking {
			tick(t, g)
			noOverlap(t, gates...)
		}
		time.Sleep(testRetry)
		noOverlap(t, gates...)
	}
}

// A second replica takes half the shards, each only after the first let it go, and not
// while a reconcile of the shard still runs on the first.
func TestHandOffWaitsForTheOldOwner(t *testing.T) {
	c := fakeClient(t)
	a := newGate(t, c, "a")
	until(t, 2*time.Second, func() bool { return len(a.heldShards()) == testCount }, a)

	// A reconcile on a shard that will move to b is still running.
	moving := -1
	for s, owner := range Assign(testCount, []string{"a", "b"}) {
		if owner == "b" {
			moving = s
			break
		}
	}
	_, done, ok := a.begin(context.Background(), moving)
	if !ok {
		t.Fatal("a may not work on a shard it holds")
	}
	b := newGate(t, c, "b")
	until(t, 3*time.Second, func() bool { return len(b.heldShards()) == testCount/2-1 }, a, b)
	for range 10 {
		tick(t, a)
		tick(t, b)
		noOverlap(t, a, b)
		if _, held := b.heldShards()[moving]; held {
			t.Fatalf("b took shard %d while a reconcile of it still ran on a", moving)
		}
		time.Sleep(testRetry)
	}
	done()
	a.end(moving)
	until(t, 2*time.Second, func() bool { return len(b.heldShards()) == testCount/2 && len(a.heldShards()) == testCount/2 }, a, b)
}

// A replica that stops renewing (killed, or cut off from the API server while its timers
// still run) stops working at the renew deadline, before the other takes its shards.
func TestCutOffOwnerStopsBeforeTakeover(t *testing.T) {
	c := fakeClient(t)
	a, b := newGate(t, c, "a"), newGate(t, c, "b")
	until(t, 3*time.Second, func() bool {
		return len(a.heldShards()) == testCount/2 && len(b.heldShards()) == testCount/2
	}, a, b)
	work, done, ok := a.begin(context.Background(), firstHeld(a))
	if !ok {
		t.Fatal("a may not work on a shard it holds")
	}
	defer done()
	aShards := a.heldShards()
	a.mu.Lock()
	var lastRenewal time.Time
	for s := range aShards {
		if r := a.shards[s].renewed; r.After(lastRenewal) {
			lastRenewal = r
		}
	}
	a.mu.Unlock()
	// From now on only b ticks; a's renew-deadline timers still run.
	var firstTakeover time.Time
	untilTicking(t, 5*time.Second, func() bool {
		for s := range b.heldShards() {
			if _, was := aShards[s]; was && firstTakeover.IsZero() {
				firstTakeover = time.Now()
			}
		}
		return len(b.heldShards()) == testCount
	}, []*Gate{b}, []*Gate{a, b})
	if took := firstTakeover.Sub(lastRenewal); took < testLease {
		t.Errorf("b took a shard of a's %s after a's last renewal, before the lease duration %s", took, testLease)
	}
	if work.Err() == nil {
		t.Error("the work a had running was not cancelled when a lost the shard")
	}
}

func firstHeld(g *Gate) int {
	for s := range g.heldShards() {
		return s
	}
	return -1
}

// A replica that stops cleanly hands its shards over at once, not after the lease duration.
func TestShutdownReleases(t *testing.T) {
	c := fakeClient(t)
	a, b := newGate(t, c, "a"), newGate(t, c, "b")
	until(t, 3*time.Second, func() bool {
		return len(a.heldShards()) == testCount/2 && len(b.heldShards()) == testCount/2
	}, a, b)
	a.shutdown(discard{})
	var members coordinationv1.LeaseList
	if err := c.List(context.Background(), &members, client.MatchingLabels{LabelRole: roleMember}); err != nil {
		t.Fatal(err)
	}
	if len(members.Items) != 1 {
		t.Errorf("%d member Leases after a stopped, want b's only", len(members.Items))
	}
	start := time.Now()
	until(t, 2*time.Second, func() bool { return len(b.heldShards()) == testCount }, b)
	if took := time.Since(start); took >= testLease {
		t.Errorf("b took a's released shards after %s, want less than the lease duration %s", took, testLease)
	}
}

type discard struct{}

func (discard) Info(string, ...any) {}

// Replicas that disagree on the shard count take nothing: shard numbers would name other
// objects to each.
func TestDisagreeingReplicasTakeNothing(t *testing.T) {
	c := fakeClient(t)
	a := newGate(t, c, "a")
	other, err := New(Options{Client: c, Namespace: "ferry-system", Group: "ferry", Identity: "b", Count: 32,
		KeyBy: ByNamespace, LeaseDuration: testLease, RenewDeadline: testRenew, RetryPeriod: testRetry})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.renewMember(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.tick(context.Background()); err == nil {
		t.Error("a ticked without complaint beside a replica with another shard count")
	}
	if n := len(a.heldShards()); n != 0 {
		t.Errorf("a holds %d shards beside a replica with another shard count, want 0", n)
	}
	for s := range testCount {
		if _, _, ok := a.begin(context.Background(), s); ok {
			t.Fatalf("a admitted work on shard %d, which it does not hold", s)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	good := Options{Client: fakeClient(t), Namespace: "ferry-system", Group: "ferry", Identity: "a", Count: 64,
		KeyBy: ByNamespace, LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Options){
		"no shards":             func(o *Options) { o.Count = 0 },
		"unknown key":           func(o *Options) { o.KeyBy = "name" },
		"renew after lease":     func(o *Options) { o.RenewDeadline = 20 * time.Second },
		"retry after renew":     func(o *Options) { o.RetryPeriod = 10 * time.Second },
		"identity not a name":   func(o *Options) { o.Identity = "A_B" },
		"no operator namespace": func(o *Options) { o.Namespace = "" },
	} {
		o := good
		mutate(&o)
		if err := o.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
