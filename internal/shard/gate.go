package shard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Labels and annotations on the Leases.
const (
	// LabelGroup names the group of replicas a Lease belongs to (Options.Group).
	LabelGroup = "shard.ferry.dev/group"
	// LabelRole is "member" on a replica's Lease and "shard" on a shard's.
	LabelRole = "shard.ferry.dev/role"
	// AnnotationCount and AnnotationKeyBy, on member Leases, tell the CLI how objects map to
	// shards.
	AnnotationCount = "shard.ferry.dev/count"
	AnnotationKeyBy = "shard.ferry.dev/key"
	// AnnotationShard, on shard Leases, is the shard's number.
	AnnotationShard = "shard.ferry.dev/shard"

	roleMember = "member"
	roleShard  = "shard"
)

// Options configure a Gate.
type Options struct {
	// Client reads and writes the Leases; it must not be a cache.
	Client client.Client
	// Namespace holds the Leases (the operator's namespace).
	Namespace string
	// Group prefixes the Leases' names: replicas of one group share the work.
	Group string
	// Identity names this replica; it must be unique among the group's replicas, across
	// restarts too (a restarted replica must not pass for its dead predecessor).
	Identity string
	// Count is the number of shards; every replica of a group must use the same.
	Count int
	// KeyBy says what an object's shard is computed from.
	KeyBy KeyBy
	// A shard's owner stops working on it RenewDeadline after the last renewal it sent;
	// another replica takes the Lease once it has seen it unchanged for LeaseDuration; every
	// replica renews and looks every RetryPeriod.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// Metrics records owned shards and hand-offs; nil records nothing.
	Metrics *Metrics
	// Cached says which kinds' informers hold only the objects of the namespaces whose
	// shard this replica holds (NewInformer); nil: none, every cache holds every object.
	// Only with KeyBy ByNamespace: with ByNamespaceName objects of one namespace are spread
	// over all replicas, and a managed Secret's shard is its owner's, not its own name's.
	Cached func(schema.GroupKind) bool
}

// Validate reports options that cannot work, in the words of the flags that set them. It
// does not look at Client, so that flags can be checked before there is one.
func (o *Options) Validate() error {
	var errs []error
	if o.Count < 1 || o.Count > 4096 {
		errs = append(errs, fmt.Errorf("--shard-count %d: want 1 to 4096", o.Count))
	}
	if _, err := ParseKeyBy(string(o.KeyBy)); err != nil {
		errs = append(errs, err)
	}
	if o.RetryPeriod <= 0 || o.RenewDeadline <= o.RetryPeriod || o.LeaseDuration <= o.RenewDeadline {
		errs = append(errs, fmt.Errorf("sharding needs retry period (%s) < renew deadline (%s) < lease duration (%s): "+
			"a replica must stop working on a shard before another may take it", o.RetryPeriod, o.RenewDeadline, o.LeaseDuration))
	}
	if o.Namespace == "" {
		errs = append(errs, errors.New("sharding needs --operator-namespace to hold its Leases"))
	}
	for _, name := range []string{o.memberLease(), o.shardLease(o.Count)} {
		if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("lease name %q (from --leader-election-id and the replica name): %v", name, msgs))
		}
	}
	return errors.Join(errs...)
}

func (o *Options) memberLease() string     { return o.Group + "-member-" + o.Identity }
func (o *Options) shardLease(s int) string { return o.Group + "-shard-" + strconv.Itoa(s) }

// Gate holds this replica's shards: it keeps the Leases and tells controllers which objects
// are theirs to work on. Start it with the manager (it does not need leader election).
type Gate struct {
	opts Options

	mu       sync.Mutex
	drained  *sync.Cond // signalled when a shard's in-flight count falls
	shards   []shardState
	seen     map[string]observation
	members  []string
	owners   []string // the last assignment, by shard
	looked   bool     // members has been read at least once
	filters  []*Filter
	stopping bool
	// views are the informers that hold only the objects of the shards in view (held or
	// warming, view.go); viewVersion counts the changes of that set. Losses reach the
	// caches lazily, at shrink.
	views       []*view
	viewVersion uint64
	shrink      *time.Timer
	// settled is closed after the first look at the Leases that could take shards: the
	// sharded caches' first lists wait for it, so that they list the shards taken then
	// instead of none (and then every object again).
	settled     chan struct{}
	settledOnce sync.Once
	log         logr.Logger
}

// shardState is this replica's view of one shard.
type shardState struct {
	// held: this replica may start work on the shard. It is set when a write of the Lease
	// naming this replica succeeded (and, with sharded caches, once they hold the shard's
	// objects), and cleared at the renew deadline, on release and on shutdown.
	held bool
	// warming: the Lease is this replica's, but the sharded caches are still listing the
	// shard's objects; work starts when they hold them.
	warming bool
	// ownLease: the Lease names this replica (it may be draining: held is false, in-flight
	// work is ending, and the Lease is renewed until it does).
	ownLease bool
	// renewed is when the last successful write of the Lease was sent.
	renewed time.Time
	// work ends when the shard is lost; reconciles run under it.
	work     context.Context
	stopWork context.CancelFunc
	inflight int
	// epoch counts acquisitions, so that filters enqueue a shard's objects once for each.
	epoch uint64
	timer *time.Timer
}

// observation is when this replica last saw a Lease change (by its resource version). Expiry
// is judged on the observer's own clock from that moment, never from the times written in
// the Lease, so clocks of replicas may disagree by any amount.
type observation struct {
	version string
	at      time.Time
}

// New returns a Gate; it does nothing until Start.
func New(opts Options) (*Gate, error) {
	if opts.Client == nil {
		return nil, errors.New("shard: Options.Client is required")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	g := &Gate{opts: opts, shards: make([]shardState, opts.Count), seen: map[string]observation{}, log: logr.Discard(),
		settled: make(chan struct{})}
	g.drained = sync.NewCond(&g.mu)
	if opts.Metrics != nil {
		opts.Metrics.gate = g
	}
	return g, nil
}

// Identity is this replica's name in the Leases.
func (g *Gate) Identity() string { return g.opts.Identity }

// ShardOf returns the shard of the object namespace/name.
func (g *Gate) ShardOf(namespace, name string) int {
	return Of(g.opts.KeyBy, g.opts.Count, namespace, name)
}

// Holds tells whether this replica may work now on the object namespace/name.
func (g *Gate) Holds(namespace, name string) bool { return g.holds(g.ShardOf(namespace, name)) }

// NeedLeaderElection is false: every replica keeps its Leases.
func (g *Gate) NeedLeaderElection() bool { return false }

// Start keeps the member Lease and the shard Leases until ctx ends, then releases what it
// holds, so that the others take over at once instead of after the lease duration.
func (g *Gate) Start(ctx context.Context) error {
	log := ctrl.LoggerFrom(ctx).WithName("shard").WithValues("identity", g.opts.Identity)
	ctx = ctrl.LoggerInto(ctx, log)
	log.Info("Sharding started", "shards", g.opts.Count, "key", g.opts.KeyBy)
	g.mu.Lock()
	g.log = log
	g.mu.Unlock()
	t := time.NewTicker(g.opts.RetryPeriod)
	defer t.Stop()
	for {
		if err := g.tick(ctx); err != nil && ctx.Err() == nil {
			log.Error(err, "Keeping the shard Leases failed")
		}
		select {
		case <-ctx.Done():
			g.shutdown(log)
			return nil
		case <-t.C:
		}
	}
}

// tick renews the member Lease, reads every Lease of the group, and moves each shard one
// step towards the assignment: renew, drain, release or acquire.
func (g *Gate) tick(ctx context.Context) error {
	if err := g.renewMember(ctx); err != nil {
		return err
	}
	var leases coordinationv1.LeaseList
	if err := g.opts.Client.List(ctx, &leases, client.InNamespace(g.opts.Namespace),
		client.MatchingLabels{LabelGroup: g.opts.Group}); err != nil {
		return fmt.Errorf("listing Leases: %w", err)
	}
	byName := make(map[string]*coordinationv1.Lease, len(leases.Items))
	now := time.Now()
	var members, disagree []string
	for i := range leases.Items {
		l := &leases.Items[i]
		byName[l.Name] = l
		if o, ok := g.seen[l.Name]; !ok || o.version != l.ResourceVersion {
			g.seen[l.Name] = observation{version: l.ResourceVersion, at: now}
		}
		if l.Labels[LabelRole] != roleMember || holder(l) == "" {
			continue
		}
		if c, k := l.Annotations[AnnotationCount], l.Annotations[AnnotationKeyBy]; c != strconv.Itoa(g.opts.Count) || k != string(g.opts.KeyBy) {
			if now.Sub(g.seen[l.Name].at) < g.opts.LeaseDuration {
				disagree = append(disagree, fmt.Sprintf("%s (%s shards by %s)", holder(l), c, k))
			}
			continue
		}
		if holder(l) == g.opts.Identity || now.Sub(g.seen[l.Name].at) < g.opts.LeaseDuration {
			members = append(members, holder(l))
		} else if now.Sub(g.seen[l.Name].at) > 4*g.opts.LeaseDuration {
			// A replica that died long ago; only its own Lease remembers it.
			_ = g.opts.Client.Delete(ctx, l, client.Preconditions{ResourceVersion: &l.ResourceVersion})
		}
	}
	for name := range g.seen {
		if byName[name] == nil {
			delete(g.seen, name)
		}
	}
	if !slices.Contains(members, g.opts.Identity) {
		members = append(members, g.opts.Identity)
	}
	slices.Sort(members)
	members = slices.Compact(members)
	owners := Assign(g.opts.Count, members)
	var errs []error
	if len(disagree) > 0 {
		// Shard numbers mean other objects to those replicas: hold nothing until they are gone.
		owners = make([]string, g.opts.Count)
		errs = append(errs, fmt.Errorf("replicas with another shard count or key are alive, so no shard is taken: %v", disagree))
	}
	g.mu.Lock()
	// A replica that sees members it did not see at its last look (all of them, at its first)
	// takes no shard this time: replicas started together see each other before any takes a
	// shard. Otherwise the first to look would take every shard for a moment, and with
	// sharded caches list every object of the cluster.
	joining := !g.looked || slices.ContainsFunc(members, func(m string) bool { return !slices.Contains(g.members, m) })
	g.members, g.owners, g.looked = members, owners, true
	g.mu.Unlock()

	// The shards are stepped side by side: one after the other, a tick of a replica holding
	// 21 shards took over the renew deadline when the API server answered a Lease write in
	// 150 ms (N = 30,000, three replicas listing at once), and every shard expired at every
	// tick. Each step touches only its own shard.
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		slots = make(chan struct{}, stepsAtOnce)
	)
	for s := range g.opts.Count {
		lease := byName[g.opts.shardLease(s)]
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := g.step(ctx, s, owners[s] == g.opts.Identity, !joining, lease); err != nil {
				errMu.Lock()
				errs = append(errs, err)
				errMu.Unlock()
			}
		})
	}
	wg.Wait()
	if !joining {
		g.settle()
	}
	return errors.Join(errs...)
}

func (g *Gate) settle() { g.settledOnce.Do(func() { close(g.settled) }) }

// waitSettled returns once the gate has taken the shards it could at its first look that
// could take any, ctx ends, or twice the lease duration has passed (a gate that never
// starts must not hold the caches back for ever).
func (g *Gate) waitSettled(ctx context.Context) {
	t := time.NewTimer(2 * g.opts.LeaseDuration)
	defer t.Stop()
	select {
	case <-g.settled:
	case <-ctx.Done():
	case <-t.C:
	}
}

// stepsAtOnce bounds the Lease writes of one tick in flight together.
const stepsAtOnce = 16

// step moves shard s one step: a wanted shard is renewed or acquired (if mayTake); an
// unwanted one that this replica holds stops taking work, drains, and is released once
// nothing runs on it.
func (g *Gate) step(ctx context.Context, s int, wanted, mayTake bool, lease *coordinationv1.Lease) error {
	mine := lease != nil && holder(lease) == g.opts.Identity
	g.mu.Lock()
	st := &g.shards[s]
	if st.ownLease && !mine {
		// Someone else wrote the Lease: ours had expired in their eyes. Stop at once.
		g.loseLocked(s)
		st.ownLease = false
	}
	if !wanted && (st.held || st.warming) {
		g.loseLocked(s)
	}
	draining := st.inflight > 0
	g.mu.Unlock()

	switch {
	case mine && wanted:
		return g.write(ctx, s, lease, false)
	case mine && draining:
		// Keep the Lease until the last reconcile of the shard has returned.
		return g.write(ctx, s, lease, false)
	case mine:
		return g.release(ctx, s, lease)
	case wanted && mayTake && g.free(lease):
		return g.write(ctx, s, lease, true)
	}
	return nil
}

// free tells whether a shard Lease may be taken: it does not exist, was released, or has
// not changed for the lease duration on this replica's clock.
func (g *Gate) free(lease *coordinationv1.Lease) bool {
	if lease == nil || holder(lease) == "" {
		return true
	}
	return time.Since(g.seen[lease.Name].at) >= g.opts.LeaseDuration
}

// write creates or updates shard s's Lease naming this replica, and on success lets work
// start or go on until RenewDeadline from the moment the write was sent.
func (g *Gate) write(ctx context.Context, s int, lease *coordinationv1.Lease, acquire bool) error {
	sent := time.Now()
	now := metav1.NewMicroTime(sent)
	if lease == nil {
		lease = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: g.opts.Namespace, Name: g.opts.shardLease(s),
			Labels:      map[string]string{LabelGroup: g.opts.Group, LabelRole: roleShard},
			Annotations: map[string]string{AnnotationShard: strconv.Itoa(s)}}}
	} else {
		lease = lease.DeepCopy()
	}
	identity := g.opts.Identity
	seconds := int32(g.opts.LeaseDuration / time.Second) //nolint:gosec // a lease duration in seconds fits
	lease.Spec.LeaseDurationSeconds = &seconds
	lease.Spec.RenewTime = &now
	if acquire {
		if holder(lease) != identity {
			transitions := int32(0)
			if lease.Spec.LeaseTransitions != nil {
				transitions = *lease.Spec.LeaseTransitions + 1
			}
			lease.Spec.LeaseTransitions = &transitions
		}
		lease.Spec.HolderIdentity = &identity
		lease.Spec.AcquireTime = &now
	}
	var err error
	if lease.ResourceVersion == "" {
		err = g.opts.Client.Create(ctx, lease)
	} else {
		err = g.opts.Client.Update(ctx, lease)
	}
	if err != nil {
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			return nil // another replica wrote first; the next tick sees what it wrote
		}
		return fmt.Errorf("writing the Lease of shard %d: %w", s, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st := &g.shards[s]
	st.ownLease = true
	st.renewed = sent
	if st.timer == nil {
		st.timer = time.AfterFunc(g.opts.RenewDeadline, func() { g.expire(s) })
	} else {
		st.timer.Reset(g.opts.RenewDeadline - time.Since(sent))
	}
	if acquire || !st.held {
		if !g.wantedLocked(s) || g.stopping || st.inflight > 0 {
			return nil // renewed only to drain
		}
		if !st.warming {
			// The sharded caches list the shard's objects (unless they still hold them: a
			// shard lost and taken back before they let it go); work waits until they hold
			// them, or a reconcile would take an object whose Secret is not cached yet for
			// one whose Secret is missing.
			st.warming = true
			g.bumpViewLocked(!g.cachedLocked(s))
		}
		g.admitLocked()
	}
	return nil
}

// admitLocked starts work on the warming shards whose objects every sharded cache holds.
func (g *Gate) admitLocked() {
	for s := range g.shards {
		st := &g.shards[s]
		if !st.warming || time.Since(st.renewed) >= g.opts.RenewDeadline || !g.cachedLocked(s) {
			continue
		}
		st.warming = false
		st.held = true
		st.work, st.stopWork = context.WithCancel(context.Background())
		st.epoch++
		g.opts.Metrics.handoff("acquired")
		g.log.V(1).Info("Shard acquired", "shard", s)
		for _, f := range g.filters {
			f.wake()
		}
	}
}

// bumpViewLocked records a change of the shards in view (held or warming). With relist,
// the sharded caches end their watches and list again (an acquired shard's objects are
// needed); without, they keep what they hold until shrink (a lost shard's objects only cost
// memory, and the shard may come back).
func (g *Gate) bumpViewLocked(relist bool) {
	g.viewVersion++
	if !relist {
		if g.shrink == nil && len(g.views) > 0 {
			g.shrink = time.AfterFunc(shrinkDelay, func() {
				g.mu.Lock()
				defer g.mu.Unlock()
				g.shrink = nil
				g.bumpViewLocked(true)
			})
		}
		return
	}
	for _, v := range g.views {
		v.expire(g.viewVersion)
	}
}

// wantedLocked tells whether the last assignment gives s to this replica.
func (g *Gate) wantedLocked(s int) bool {
	return g.owners != nil && g.owners[s] == g.opts.Identity
}

// release hands shard s's Lease back, so the next owner takes it without waiting.
func (g *Gate) release(ctx context.Context, s int, lease *coordinationv1.Lease) error {
	lease = lease.DeepCopy()
	lease.Spec.HolderIdentity = nil
	lease.Spec.AcquireTime, lease.Spec.RenewTime = nil, nil
	if err := g.opts.Client.Update(ctx, lease); err != nil {
		if apierrors.IsConflict(err) {
			return nil
		}
		return fmt.Errorf("releasing the Lease of shard %d: %w", s, err)
	}
	g.mu.Lock()
	g.shards[s].ownLease = false
	g.mu.Unlock()
	g.opts.Metrics.handoff("released")
	ctrl.LoggerFrom(ctx).V(1).Info("Shard released", "shard", s)
	return nil
}

// expire runs at the renew deadline of shard s: without a renewal since, work stops.
func (g *Gate) expire(s int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := &g.shards[s]
	if st.warming && time.Since(st.renewed) >= g.opts.RenewDeadline {
		g.loseLocked(s)
	}
	if st.held && time.Since(st.renewed) >= g.opts.RenewDeadline {
		g.loseLocked(s)
		g.opts.Metrics.handoff("expired")
	}
}

// loseLocked stops new work on s, cancels the work running, and takes s out of the sharded
// caches' view.
func (g *Gate) loseLocked(s int) {
	st := &g.shards[s]
	if st.warming {
		st.warming = false
		g.bumpViewLocked(false)
	}
	if !st.held {
		return
	}
	st.held = false
	st.stopWork()
	g.bumpViewLocked(false)
	for _, f := range g.filters {
		f.wake()
	}
}

// begin admits work on shard s: it returns a context that ends when ctx does or the shard is
// lost, and false when the shard is not this replica's now. Call end(s) when the work ends.
func (g *Gate) begin(ctx context.Context, s int) (context.Context, context.CancelFunc, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := &g.shards[s]
	if !st.held || time.Since(st.renewed) >= g.opts.RenewDeadline {
		return nil, nil, false
	}
	st.inflight++
	work, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(st.work, cancel)
	return work, func() { stop(); cancel() }, true
}

// end marks the end of work admitted by begin.
func (g *Gate) end(s int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shards[s].inflight--
	g.drained.Broadcast()
}

// holds tells whether this replica may work on shard s now.
func (g *Gate) holds(s int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.shards[s].held
}

// heldShards returns the shards this replica may work on and the epoch of each.
func (g *Gate) heldShards() map[int]uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[int]uint64{}
	for s := range g.shards {
		if g.shards[s].held {
			out[s] = g.shards[s].epoch
		}
	}
	return out
}

// Members returns the live replicas this replica saw at its last look, sorted.
func (g *Gate) Members() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.members)
}

// shutdown stops all work, waits (up to the renew deadline) for what runs to end, releases
// the shards whose work ended and deletes the member Lease. What it cannot release expires.
func (g *Gate) shutdown(log interface{ Info(string, ...any) }) {
	g.settle()
	g.mu.Lock()
	g.stopping = true
	for s := range g.shards {
		g.loseLocked(s)
	}
	deadline := time.Now().Add(g.opts.RenewDeadline)
	waker := time.AfterFunc(g.opts.RenewDeadline, func() {
		g.mu.Lock()
		g.drained.Broadcast()
		g.mu.Unlock()
	})
	defer waker.Stop()
	for g.busyLocked() && time.Now().Before(deadline) {
		g.drained.Wait()
	}
	var release []int
	for s := range g.shards {
		if g.shards[s].ownLease && g.shards[s].inflight == 0 && time.Since(g.shards[s].renewed) < g.opts.RenewDeadline {
			release = append(release, s)
		}
		if g.shards[s].timer != nil {
			g.shards[s].timer.Stop()
		}
	}
	g.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), g.opts.RenewDeadline)
	defer cancel()
	for _, s := range release {
		var lease coordinationv1.Lease
		key := client.ObjectKey{Namespace: g.opts.Namespace, Name: g.opts.shardLease(s)}
		if err := g.opts.Client.Get(ctx, key, &lease); err != nil || holder(&lease) != g.opts.Identity {
			continue
		}
		_ = g.release(ctx, s, &lease)
	}
	member := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: g.opts.Namespace, Name: g.opts.memberLease()}}
	_ = g.opts.Client.Delete(ctx, member)
	log.Info("Sharding stopped", "released", len(release))
}

func (g *Gate) busyLocked() bool {
	for s := range g.shards {
		if g.shards[s].inflight > 0 {
			return true
		}
	}
	return false
}

// renewMember creates or renews this replica's member Lease.
func (g *Gate) renewMember(ctx context.Context) error {
	var lease coordinationv1.Lease
	key := client.ObjectKey{Namespace: g.opts.Namespace, Name: g.opts.memberLease()}
	err := g.opts.Client.Get(ctx, key, &lease)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading the member Lease: %w", err)
	}
	identity := g.opts.Identity
	seconds := int32(g.opts.LeaseDuration / time.Second) //nolint:gosec // a lease duration in seconds fits
	now := metav1.NewMicroTime(time.Now())
	lease.Namespace, lease.Name = g.opts.Namespace, g.opts.memberLease()
	lease.Labels = map[string]string{LabelGroup: g.opts.Group, LabelRole: roleMember}
	lease.Annotations = map[string]string{AnnotationCount: strconv.Itoa(g.opts.Count), AnnotationKeyBy: string(g.opts.KeyBy)}
	lease.Spec = coordinationv1.LeaseSpec{HolderIdentity: &identity, LeaseDurationSeconds: &seconds, RenewTime: &now,
		AcquireTime: lease.Spec.AcquireTime}
	if apierrors.IsNotFound(err) {
		lease.Spec.AcquireTime = &now
		err = g.opts.Client.Create(ctx, &lease)
	} else {
		err = g.opts.Client.Update(ctx, &lease)
	}
	if err != nil {
		return fmt.Errorf("writing the member Lease: %w", err)
	}
	return nil
}

func holder(l *coordinationv1.Lease) string {
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}
