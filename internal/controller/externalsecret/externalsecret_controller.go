package externalsecret

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/changefeed"
	"github.com/ferryhq/ferry/internal/controller/statuswrite"
	"github.com/ferryhq/ferry/internal/digest"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/generator"
	"github.com/ferryhq/ferry/internal/genstate"
	"github.com/ferryhq/ferry/internal/metrics"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/schedule"
	"github.com/ferryhq/ferry/internal/shard"
)

// Reconciler keeps the target Secret of each ExternalSecret in sync.
type Reconciler struct {
	// Client is the manager's cached client; Secrets in its cache are only those Ferry manages.
	Client client.Client
	// APIReader reads objects the cache does not hold (unmanaged Secrets).
	APIReader client.Reader
	Fetcher   *fetch.Fetcher
	Recorder  events.EventRecorder
	// HashKey keys the data-hash annotation of managed Secrets.
	HashKey digest.Key
	// ControllerClass is this instance's --controller-class; stores whose spec.controller
	// differs are left to another instance.
	ControllerClass string
	// Namespaces, when set, are the only namespaces this instance serves (--namespaces): it
	// then neither watches nor reads ClusterSecretStores, which an identity with Roles only
	// may not list.
	Namespaces []string
	// Now is the clock, for tests.
	Now func() time.Time
	// Metrics records syncs and writes; nil records nothing.
	Metrics *metrics.Metrics
	// Generators produces the values of dataFrom[].sourceRef.generatorRef; nil serves none.
	Generators *generator.Registry
	// Direct is an uncached client: generators are read with it, and read the Secrets and
	// request the ServiceAccount tokens their auth names.
	Direct client.Client
	// GeneratorGCGracePeriod is how long what a stateful generator created outlives its
	// replacement before it is cleaned up; 0 means genstate.DefaultGracePeriod.
	GeneratorGCGracePeriod time.Duration
	// Changes routes providers' change reports to the objects that read the changed keys
	// and stretches the refresh of objects whose stores have healthy feeds; nil: polling only.
	Changes *changefeed.Hub
	// GenericTargets says whether and which kinds other than Secret (spec.target.manifest)
	// may be written; the zero value refuses them all.
	GenericTargets GenericTargets
	// Shards, when set, confines the controller to the objects of this replica's shards and
	// runs it on every replica, leader or not; nil reconciles every object (on the leader).
	Shards *shard.Gate

	// lastSync remembers when each object last synced successfully in this process (a
	// confirmation without change counts), so that a confirmation needs no status write.
	// A reconcile never reads a status older than this process's own last write of it:
	// the manager's client has read-your-writes consistency (operator.newManager), so no
	// record of the synced version is kept here (docs/design/0004). It is keyed by name, so
	// that a replica whose shard moved can forget its objects without reading them (with
	// sharded caches they may have left the cache already); the UID tells a re-created
	// object from the one that synced.
	lastSync syncRecords
	// pendingStatus holds the status of syncs that changed no condition until their
	// follow-up reconcile writes it (statuslater.go).
	pendingStatus sync.Map // types.NamespacedName → pendingStatus
	// index finds the objects that write a Secret or read a store (index.go).
	index *index
	// echoes are the Secret versions syncs just wrote, whose events need no sync.
	echoes echoes
	// announcedStores are the store generations whose readers' keys the fetcher was told
	// (announce.go).
	announcedStores announced
}

// syncRecord is when the object of one UID last synced in this process.
type syncRecord struct {
	uid types.UID
	at  time.Time
}

// syncRecords are the syncRecords of the objects by name: a map under a lock, some 100
// bytes an object, where a sync.Map (boxed keys and values, trie nodes) took 500.
type syncRecords struct {
	mu      sync.Mutex
	records map[types.NamespacedName]syncRecord
}

// syncedAt returns when es last synced in this process.
func (r *Reconciler) syncedAt(es *esv1.ExternalSecret) (time.Time, bool) {
	s := &r.lastSync
	s.mu.Lock()
	rec, ok := s.records[client.ObjectKeyFromObject(es)]
	s.mu.Unlock()
	if !ok || rec.uid != es.UID {
		return time.Time{}, false
	}
	return rec.at, true
}

func (r *Reconciler) recordSync(es *esv1.ExternalSecret, at time.Time) {
	s := &r.lastSync
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.records == nil {
		s.records = map[types.NamespacedName]syncRecord{}
	}
	s.records[client.ObjectKeyFromObject(es)] = syncRecord{uid: es.UID, at: at}
}

// forgetSync drops the record of the object named key.
func (r *Reconciler) forgetSync(key types.NamespacedName) {
	s := &r.lastSync
	s.mu.Lock()
	delete(s.records, key)
	s.mu.Unlock()
}

// scope is what one reconcile works on.
type scope struct {
	es     *esv1.ExternalSecret
	before *esv1.ExternalSecret
	now    time.Time
	// started is the wall-clock start of the reconcile, which its duration is measured from.
	started time.Time
	target  *corev1.Secret // nil when it does not exist
	// object is the generic target (spec.target.manifest), nil when it does not exist.
	object *unstructured.Unstructured
	// labels and annotations rendered from spec.target.template.metadata and templateFrom.
	labels, annotations map[string]string
	// secrets holds every value this reconcile has seen, so that no message it writes
	// (condition, event, returned error) carries one.
	secrets *redact.Set
	// states are what stateful generators created in this sync, to record or undo.
	states []genstate.Pending
	// changeReported: a provider reported a change of a key the object reads.
	changeReported bool
	// eventMissed: an event of the target Secret, held back while this reconcile wrote it,
	// showed a change by someone else (echoes.go); the object reconciles again.
	eventMissed bool
}

// Reconcile is the skeleton: get → decide → sync phases → one status patch.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	es := &esv1.ExternalSecret{}
	if err := r.Client.Get(ctx, req.NamespacedName, es); err != nil {
		if apierrors.IsNotFound(err) {
			r.forgetSync(req.NamespacedName)
			r.pendingStatus.Delete(req.NamespacedName)
			r.Metrics.Forget(metrics.ExternalSecret, req.NamespacedName)
			r.Changes.Forget(fetch.Reader{Kind: esv1.ExtSecretKind, Namespace: req.Namespace, Name: req.Name})
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !es.DeletionTimestamp.IsZero() {
		r.forgetSync(req.NamespacedName)
		r.pendingStatus.Delete(req.NamespacedName)
		r.Metrics.Forget(metrics.ExternalSecret, req.NamespacedName)
		r.Changes.Forget(readerOf(es))
		return ctrl.Result{}, nil
	}
	if retry, err := r.writePendingStatus(ctx, es); retry != nil {
		return *retry, err
	}
	s := &scope{es: es, before: es.DeepCopy(), now: r.now(), started: time.Now(), secrets: redact.New(),
		changeReported: r.Changes.Pending(readerOf(es))}

	if err := r.readTargets(ctx, s); err != nil {
		return ctrl.Result{}, err
	}

	d := decide(r.facts(s))
	if !d.sync {
		if s.changeReported {
			// The object does not refresh (CreatedOnce, OnChange, interval 0): the report is moot.
			r.Changes.Done(readerOf(es), r.Fetcher.Now())
		}
		r.idle(ctx, s)
		return ctrl.Result{RequeueAfter: d.requeueAfter, Priority: refreshPriority()}, nil
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Syncing", "why", d.why)

	start := time.Now()
	result, syncErr := r.sync(ctx, s)
	if result.skip {
		r.Metrics.Forget(metrics.ExternalSecret, req.NamespacedName)
		return ctrl.Result{}, nil
	}
	r.Metrics.Sync(es.Namespace, es.Name, time.Since(start), errors.Join(syncErr, failureOf(es)))
	r.report(s)
	if r.deferStatus(s, syncErr) {
		return followUp(), nil
	}
	if err := r.patchStatus(ctx, s); err != nil {
		return ctrl.Result{}, s.secrets.Error(errors.Join(syncErr, err))
	}
	if s.eventMissed && syncErr == nil {
		result.Result = ctrl.Result{RequeueAfter: missedEventRetry}
	}
	// controller-runtime logs the error it is handed.
	return result.Result, s.secrets.Error(syncErr)
}

// syncResult is the outcome of the sync phases.
type syncResult struct {
	ctrl.Result
	// skip: the object belongs to another controller class; touch nothing.
	skip bool
}

// sync runs the phases: resolve stores → fetch → apply, and sets the Ready condition.
func (r *Reconciler) sync(ctx context.Context, s *scope) (syncResult, error) {
	es := s.es
	interval := r.interval(es)
	offset := schedule.Offset(es, interval)
	readsFrom := r.Fetcher.Now()
	retryLater := syncResult{Result: ctrl.Result{RequeueAfter: retryInterval(interval)}}

	stores, err := r.resolveStores(ctx, es)
	switch {
	case failure.IsNotOurs(err):
		return syncResult{skip: true}, nil
	case err != nil:
		r.fail(s, err)
		return retryLater, nil
	}

	if err := r.validate(es); err != nil {
		r.fail(s, err)
		return retryLater, nil
	}
	r.announce(ctx, es, stores)
	data, missing, err := r.fetchData(ctx, s, stores)
	if err != nil {
		r.rollbackStates(ctx, s)
		r.fail(s, err)
		return r.retry(err, retryLater)
	}

	outcome, err := r.apply(ctx, s, data, missing)
	if err != nil {
		r.rollbackStates(ctx, s)
		r.fail(s, err)
		return r.retry(err, retryLater)
	}
	r.commitStates(ctx, s)
	r.succeed(s, outcome)
	r.recordSync(es, s.now)
	if r.Changes != nil {
		// What this sync read is what a change must reach; reports before it are served.
		r.Fetcher.Prune(readerOf(es), readsFrom)
		r.Changes.Done(readerOf(es), readsFrom)
	}
	return syncResult{Result: ctrl.Result{RequeueAfter: nextAfterSync(es.Spec.RefreshPolicy, s.now, interval, offset, syncWindows(es)),
		Priority: refreshPriority()}}, nil
}

// retry is how a failed fetch or apply is tried again: a failure only the user can fix at
// later; a transient one after the delay the service asked for, else with the controller's
// backoff.
func (r *Reconciler) retry(err error, later syncResult) (syncResult, error) {
	switch {
	case !failure.IsTransient(err):
		return later, nil
	case failure.RetryAfter(err) > 0:
		return syncResult{Result: ctrl.Result{RequeueAfter: failure.RetryAfter(err)}}, nil
	}
	return syncResult{}, err
}

// facts gathers what decide needs.
func (r *Reconciler) facts(s *scope) facts {
	es := s.es
	interval := r.interval(es)
	f := facts{
		now:            s.now,
		interval:       interval,
		policy:         es.Spec.RefreshPolicy,
		syncedVersion:  es.Status.SyncedResourceVersion,
		currentVersion: syncedVersion(es),
		ready:          isReady(es),
		writesSecret:   creationPolicy(es) != esv1.CreatePolicyNone,
		orphan:         creationPolicy(es) == esv1.CreatePolicyOrphan,
		targetExists:   s.target != nil || s.object != nil,
		offset:         schedule.Offset(es, interval),
		windows:        syncWindows(es),
		changeReported: s.changeReported,
	}
	if last, ok := r.syncedAt(es); ok {
		f.lastSync = last
	} else {
		f.lastSync = es.Status.RefreshTime.Time
	}
	if c := readyCondition(es); c != nil && c.Reason == esv1.ReasonSecretDeleted {
		// The Secret was deleted on purpose (deletionPolicy Delete): its absence is expected.
		f.targetExists = true
		f.targetUntouched = true
		return f
	}
	switch {
	case s.target != nil:
		f.targetUntouched = r.untouched(es, s.target)
	case s.object != nil:
		f.targetUntouched = r.untouchedGeneric(s.object)
	}
	return f
}

// untouched says whether the target still carries our label and the data we wrote.
func (r *Reconciler) untouched(es *esv1.ExternalSecret, target *corev1.Secret) bool {
	if target.Labels[esv1.LabelManaged] != esv1.LabelManagedValue {
		return false
	}
	return target.Annotations[esv1.AnnotationDataHash] == r.HashKey.Data(managedData(es, target))
}

// patchStatus writes the status only when something a user can see changed.
func (r *Reconciler) patchStatus(ctx context.Context, s *scope) error {
	if equality.Semantic.DeepEqual(s.before.Status, s.es.Status) {
		return nil
	}
	r.Metrics.StatusWrite()
	if err := statuswrite.Patch(ctx, r.Client, s.before, s.es, esv1.ExtSecretKind); !apierrors.IsConflict(err) {
		return err
	}
	// A newer version exists: a change to the spec, labels or annotations reconciles it, so its own
	// reconcile follows and writes the status of what it reads.
	return nil
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// readTargets reads the target of the ExternalSecret: its Secret, or its generic target.
func (r *Reconciler) readTargets(ctx context.Context, s *scope) error {
	if isGeneric(s.es) {
		object, err := r.readGeneric(ctx, s.es)
		if err != nil {
			return err
		}
		if object != nil {
			rememberValues(s, object)
		}
		s.object = object
		return nil
	}
	target, err := r.readTarget(ctx, s.es)
	if err != nil {
		return err
	}
	if target != nil {
		s.secrets.AddMap(target.Data)
	}
	s.target = target
	return nil
}

// readTarget returns the target Secret, or nil when it is not known to exist. Managed
// Secrets come from the cache, which holds only those. A cache miss is read from the API
// only when that read is needed to decide: the target of creationPolicy Merge, which is not
// ours, and a target this process synced before (deleted or unlabelled by hand, or not yet
// in the cache). Otherwise — a first sync — the create tells whether a Secret exists, so a
// cold start costs no read per object (apply adopts or refuses an existing one then).
func (r *Reconciler) readTarget(ctx context.Context, es *esv1.ExternalSecret) (*corev1.Secret, error) {
	key := client.ObjectKey{Namespace: es.Namespace, Name: targetName(es)}
	secret := &corev1.Secret{}
	err := r.Client.Get(ctx, key, secret)
	if err == nil {
		return secret, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("reading target Secret: %w", err)
	}
	if _, syncedHere := r.syncedAt(es); !syncedHere && creationPolicy(es) != esv1.CreatePolicyMerge {
		return nil, nil
	}
	return r.readUncached(ctx, key)
}

// readUncached reads a Secret from the API server; nil when it does not exist.
func (r *Reconciler) readUncached(ctx context.Context, key client.ObjectKey) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading target Secret: %w", err)
	}
	return secret, nil
}

// targetName is the Secret's name: spec.target.name, or the ExternalSecret's name.
func targetName(es *esv1.ExternalSecret) string {
	if es.Spec.Target.Name != "" {
		return es.Spec.Target.Name
	}
	return es.Name
}

func creationPolicy(es *esv1.ExternalSecret) esv1.ExternalSecretCreationPolicy {
	if es.Spec.Target.CreationPolicy == "" {
		return esv1.CreatePolicyOwner
	}
	return es.Spec.Target.CreationPolicy
}

func deletionPolicy(es *esv1.ExternalSecret) esv1.ExternalSecretDeletionPolicy {
	if es.Spec.Target.DeletionPolicy == "" {
		return esv1.DeletionPolicyRetain
	}
	return es.Spec.Target.DeletionPolicy
}

// refreshInterval is spec.refreshInterval, 1h when unset (as the CRD defaults it).
func refreshInterval(es *esv1.ExternalSecret) time.Duration {
	if es.Spec.RefreshInterval == nil {
		return time.Hour
	}
	return es.Spec.RefreshInterval.Duration
}

// retryInterval is when to look again after a failure a user has to fix.
func retryInterval(interval time.Duration) time.Duration {
	if interval > 0 && interval < 5*time.Minute {
		return interval
	}
	return 5 * time.Minute
}

// syncedVersion identifies the spec generation and the user's metadata, so that any change
// of the spec, labels or annotations (the force-sync pattern) triggers a sync.
func syncedVersion(es *esv1.ExternalSecret) string { return statuswrite.SyncedVersion(es) }

// managedKeysAnnotation lists the keys an ExternalSecret merged into a Secret it does not
// own, so they can be removed again (deletionPolicy Merge) without touching other keys.
const managedKeysAnnotation = "ferry.dev/managed-keys"

// managedData is the part of the target's data this ExternalSecret wrote.
func managedData(es *esv1.ExternalSecret, target *corev1.Secret) map[string][]byte {
	if !merges(es) {
		return target.Data
	}
	out := map[string][]byte{}
	for _, k := range managedKeys(target) {
		if v, ok := target.Data[k]; ok {
			out[k] = v
		}
	}
	return out
}

func managedKeys(target *corev1.Secret) []string {
	raw := target.Annotations[managedKeysAnnotation]
	if raw == "" {
		return nil
	}
	return strings.Split(raw, ",")
}

func merges(es *esv1.ExternalSecret) bool {
	p := creationPolicy(es)
	return p == esv1.CreatePolicyMerge || p == esv1.CreatePolicyCreateOrMerge
}
