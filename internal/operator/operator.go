package operator

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	esv1beta1 "github.com/ferryhq/ferry/api/externalsecrets/v1beta1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/cachesync"
	"github.com/ferryhq/ferry/internal/cacheview"
	"github.com/ferryhq/ferry/internal/changefeed"
	"github.com/ferryhq/ferry/internal/controller/externalsecret"
	"github.com/ferryhq/ferry/internal/controller/fanout"
	"github.com/ferryhq/ferry/internal/controller/generatorstate"
	"github.com/ferryhq/ferry/internal/controller/pushsecret"
	"github.com/ferryhq/ferry/internal/controller/secretstore"
	"github.com/ferryhq/ferry/internal/digest"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/generator"
	"github.com/ferryhq/ferry/internal/metrics"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/secretmeta"
	"github.com/ferryhq/ferry/internal/shard"
	"github.com/ferryhq/ferry/internal/webhook"
)

// HashKeySecret is the Secret, in the operator's namespace, that holds the key of the
// data-hash annotations. Ferry creates it on first start.
const HashKeySecret = "ferry-hash-key"

// Defaults sized so that the client side is not what limits a cold start of 10,000
// ExternalSecrets: a first sync costs three requests of the manager's client (read the
// target, create it, write the status) and an event. At 500 QPS the benchmark's fastest cold
// start (175 objects a second) already asked 526 requests a second of one client; the API
// server, guarded by its own API Priority and Fairness, is the bound below 1,000 on the
// machines Ferry was measured on (bench/RESULTS.md).
const (
	DefaultConcurrency = 20
	DefaultQPS         = 1000
	DefaultBurst       = 2000
)

// Options configure an operator. Zero values pick the defaults main documents.
type Options struct {
	// MetricsAddr is the metrics listen address; "0" disables it.
	MetricsAddr string
	// HealthAddr is the health probe listen address; "" or "0" disables it.
	HealthAddr string
	// PprofAddr serves Go's profiling endpoints; "" or "0" disables them.
	PprofAddr string
	// LeaderElection turns on leader election (active/passive replicas).
	LeaderElection bool
	// LeaderElectionID names the Lease.
	LeaderElectionID string
	// LeaseDuration is how long a standby waits after the last renewal before it takes the
	// Lease; RenewDeadline how long the leader keeps trying to renew before it gives up;
	// RetryPeriod how often both try. Zero keeps controller-runtime's 15s, 10s and 2s.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// OperatorNamespace holds the Lease and the hash-key Secret.
	OperatorNamespace string
	// Namespaces restricts Ferry to these namespaces, where Roles are all it needs; with
	// Namespace also empty it serves every namespace.
	Namespaces []string
	// Namespace restricts Ferry to one namespace: the same as Namespaces with one entry.
	Namespace string
	// Concurrency is the number of ExternalSecrets synced in parallel.
	Concurrency int
	// QPS and Burst bound Ferry's requests to the API server (defaults DefaultQPS and
	// DefaultBurst); a negative QPS sets no bound on the client side.
	QPS   float32
	Burst int
	// ControllerClass selects the stores (spec.controller) this instance handles.
	ControllerClass string
	// HashKey keys the data-hash annotations; nil loads it from HashKeySecret.
	HashKey []byte
	// Providers is the provider registry; main builds it.
	Providers *provider.Registry
	// Generators is the generator registry; main builds it. nil serves no generator kind.
	Generators *generator.Registry
	// GeneratorGCGracePeriod is how long what a stateful generator created (a Grafana
	// token) outlives its replacement; 0 means ESO's default, two minutes.
	GeneratorGCGracePeriod time.Duration
	// RolloutEnabled restarts workloads that opt in (Reloader's annotations or Ferry's) when
	// the Secrets and ConfigMaps they use change.
	RolloutEnabled bool
	// Rollout governs those restarts; its Namespace is taken from Namespace.
	Rollout rollout.Options
	// MetricsLabels labels ESO's series as ESO does (metrics.LabelsESO, the default when
	// empty) or by namespace only (metrics.LabelsLow).
	MetricsLabels metrics.Labels
	// Webhook configures the validating and conversion webhooks.
	Webhook WebhookOptions
	// Events configures event-driven refresh: the HTTP endpoint and the safety interval.
	Events EventsOptions
	// Sharding splits the namespaced work between active replicas.
	Sharding ShardingOptions
	// GenericTargets lets ExternalSecrets write kinds other than Secret (spec.target.manifest):
	// ESO's --unsafe-allow-generic-targets, and which kinds.
	GenericTargets externalsecret.GenericTargets
}

// ShardingOptions configure active-active sharding (docs/design/0006-sharding.md): every
// replica reconciles the ExternalSecrets, PushSecrets and workloads of the shards it holds;
// cluster-scoped work stays with the elected leader.
type ShardingOptions struct {
	Enabled bool
	// Count is the number of shards (DefaultShardCount when 0); all replicas must agree.
	Count int
	// KeyBy is what an object's shard is computed from (shard.ByNamespace when empty).
	KeyBy shard.KeyBy
	// ReplicaName names this replica (the pod's name) in its Leases and in the user agent of
	// its requests, so the API server's audit log tells replicas apart.
	ReplicaName string
}

// DefaultShardCount is enough shards to spread over a few dozen replicas, few enough that
// their Leases cost little: each is renewed every retry period.
const DefaultShardCount = 64

// Sharding defaults: controller-runtime's leader election durations, which sharding uses too.
const (
	defaultLeaseDuration = 15 * time.Second
	defaultRenewDeadline = 10 * time.Second
	defaultRetryPeriod   = 2 * time.Second
)

// Scheme returns the scheme of every type Ferry reads or writes.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilMust(clientgoscheme.AddToScheme(s))
	utilMust(esv1.AddToScheme(s))
	utilMust(esv1beta1.AddToScheme(s))
	utilMust(esv1alpha1.AddToScheme(s))
	utilMust(genv1alpha1.AddToScheme(s))
	utilMust(apiextensionsv1.AddToScheme(s))
	return s
}

func utilMust(err error) {
	if err != nil {
		panic(err)
	}
}

// New builds the manager with every controller registered. Start it with mgr.Start(ctx).
//
// It is three steps: the manager (cache, client, servers, leader election), the services
// every controller shares (hash key, metrics, event recorder, fetcher) and the controllers.
func New(ctx context.Context, cfg *rest.Config, opts Options) (manager.Manager, error) {
	if opts.Providers == nil {
		return nil, errors.New("operator: Options.Providers is required")
	}
	opts.defaults()
	served, err := opts.Served()
	if err != nil {
		return nil, err
	}
	if len(opts.Namespaces) > 0 && opts.RolloutEnabled && opts.Rollout.NamespaceSelector != "" {
		// Namespaces are cluster-scoped: a Ferry with Roles only cannot read their labels.
		// The older --namespace keeps what it always allowed: its RBAC is the operator's to give.
		return nil, errors.New("--namespace-selector needs a Ferry that serves every namespace: with --namespaces, list the namespaces instead")
	}
	if err := opts.validateSharding(); err != nil {
		return nil, err
	}
	// From here on, Namespaces alone says which namespaces are served (none: all).
	opts.Namespaces, opts.Namespace = served, ""
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = opts.QPS, opts.Burst
	limitStreamBuffers(cfg)
	if opts.Sharding.Enabled {
		cfg.UserAgent = rest.DefaultKubernetesUserAgent() + " replica/" + opts.Sharding.ReplicaName
	}
	scheme := Scheme()
	// One connection to the API server for the manager's cache and client and the direct
	// client (limitStreamBuffers stops client-go from sharing one transport between them).
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating API client: %w", err)
	}
	// Providers read auth Secrets and request tokens with an uncached client.
	direct, err := client.New(cfg, client.Options{Scheme: scheme, HTTPClient: httpClient})
	if err != nil {
		return nil, fmt.Errorf("creating API client: %w", err)
	}
	// The gate comes before the manager: with sharding, the caches hold only the objects of
	// the shards it holds.
	var gate *shard.Gate
	if opts.Sharding.Enabled {
		if gate, err = newGate(direct, &opts); err != nil {
			return nil, err
		}
	}
	mgr, certs, err := newManager(ctx, cfg, httpClient, scheme, direct, gate, &opts)
	if err != nil {
		return nil, err
	}
	svc, err := newServices(ctx, mgr, scheme, direct, &opts)
	if err != nil {
		return nil, err
	}
	if gate != nil {
		if err := mgr.Add(gateRunnable{Gate: gate, cache: mgr.GetCache()}); err != nil {
			return nil, err
		}
		svc.shards = gate
		if err := addRelay(mgr, cfg, scheme, svc, &opts); err != nil {
			return nil, err
		}
	}
	if err := addEventsEndpoint(mgr, direct, svc.changes, svc.changeMetrics, opts.OperatorNamespace, opts.Events); err != nil {
		return nil, err
	}
	if opts.Webhook.Enabled {
		if err := addWebhooks(mgr, direct, opts.Providers, opts.OperatorNamespace, &opts.Webhook, certs); err != nil {
			return nil, err
		}
	}
	if err := addControllers(ctx, mgr, svc, &opts); err != nil {
		return nil, err
	}
	return mgr, nil
}

// defaults fills the zero values New documents.
func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.QPS == 0 {
		o.QPS, o.Burst = DefaultQPS, DefaultBurst
	}
	if o.MetricsLabels == "" {
		o.MetricsLabels = metrics.LabelsESO
	}
	for _, addr := range []*string{&o.MetricsAddr, &o.PprofAddr, &o.HealthAddr} {
		if *addr == "" {
			*addr = "0"
		}
	}
}

// cacheOptions caches only the Secrets Ferry manages (so memory does not follow every
// Secret in the cluster), the workloads rollout watches, and no managed fields (nothing
// reads them; they are a large part of every cached object), nor, on ExternalSecrets,
// kubectl's last-applied-configuration. With sharding by namespace,
// the namespaced kinds only their owner reads are cached for this replica's shards only
// (shard.Gate.NewInformer, cachedByShard).
func cacheOptions(scheme *runtime.Scheme, gate *shard.Gate, opts *Options, httpClient *http.Client) cache.Options {
	managed := labels.SelectorFromSet(labels.Set{esv1.LabelManaged: esv1.LabelManagedValue})
	compactor := cacheview.NewCompactor()
	c := cache.Options{
		HTTPClient: httpClient,
		// The two kinds that grow with the objects served share what repeats between
		// their objects (cacheview.Compactor); ExternalSecrets, only ever patched (status,
		// finalizers), are also cached without kubectl's copy of their manifest.
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}:       {Label: managed, Transform: compactor.Transform},
			&esv1.ExternalSecret{}: {Transform: compactor.Transform},
		},
		DefaultTransform: cache.TransformStripManagedFields(),
		NewInformer:      gate.NewInformer(scheme),
	}
	for _, ns := range opts.Namespaces {
		if c.DefaultNamespaces == nil {
			c.DefaultNamespaces = map[string]cache.Config{}
		}
		c.DefaultNamespaces[ns] = cache.Config{}
	}
	return c
}

// newManager builds the controller-runtime manager: cache, client, metrics, health and
// webhook servers, leader election.
func newManager(ctx context.Context, cfg *rest.Config, httpClient *http.Client, scheme *runtime.Scheme, direct client.Client, gate *shard.Gate, opts *Options) (manager.Manager, *webhook.Certs, error) {
	var whServer ctrlwebhook.Server
	var certs *webhook.Certs
	if opts.Webhook.Enabled {
		var err error
		if whServer, certs, err = webhookServer(ctx, direct, opts.OperatorNamespace, &opts.Webhook); err != nil {
			return nil, nil, err
		}
	}
	readYourWrites := true
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		LeaseDuration: positive(opts.LeaseDuration),
		RenewDeadline: positive(opts.RenewDeadline),
		RetryPeriod:   positive(opts.RetryPeriod),
		WebhookServer: whServer,
		Scheme:        scheme,
		Cache:         cacheOptions(scheme, gate, opts, httpClient),
		// Its waits for sync end as soon as informers and handlers have synced, not at the
		// next 100 ms poll (cachesync).
		NewCache: cachesync.New,
		// A read from the cache waits until it holds Ferry's own earlier writes of that
		// object, so the reconcile that a write triggers sees the status and Secret just
		// written instead of syncing again and writing a conflicting status.
		Client: client.Options{HTTPClient: httpClient,
			Cache: &client.CacheOptions{EnableReadYourWritesConsistency: &readYourWrites}},
		// Ferry serves /metrics itself (metrics.NewServer, added with the metrics).
		Metrics:                       metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:        opts.HealthAddr,
		PprofBindAddress:              opts.PprofAddr,
		LeaderElection:                opts.LeaderElection,
		LeaderElectionID:              opts.LeaderElectionID,
		LeaderElectionNamespace:       opts.OperatorNamespace,
		LeaderElectionReleaseOnCancel: true,
		// Controller names are unique by construction; a process that builds a second
		// operator (the tests of this package) must not be refused for reusing them.
		Controller: config.Controller{SkipNameValidation: new(true)},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("creating manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, nil, err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, nil, err
	}
	return mgr, certs, nil
}

// services are what every controller shares: one fetcher (one cache of provider clients
// and values), one event recorder whose memory is bounded, one set of metrics, one hash key.
type services struct {
	direct   client.Client
	fetcher  *fetch.Fetcher
	recorder *eventRecorder
	metrics  *metrics.Metrics
	hashKey  digest.Key
	// changes routes providers' change reports to the objects that read the changed keys.
	changes       *changefeed.Hub
	changeMetrics *changefeed.Metrics
	// shards confines the namespaced controllers to this replica's shards; nil: no sharding.
	shards *shard.Gate
}

func newServices(ctx context.Context, mgr manager.Manager, scheme *runtime.Scheme, direct client.Client, opts *Options) (*services, error) {
	key := opts.HashKey
	if key == nil {
		var err error
		if key, err = loadHashKey(ctx, direct, opts.OperatorNamespace); err != nil {
			return nil, err
		}
	}
	m, err := metrics.New(ctrlmetrics.Registry, mgr.GetCache(),
		metrics.Options{Labels: opts.MetricsLabels, ClusterStores: len(opts.Namespaces) == 0})
	if err != nil {
		return nil, fmt.Errorf("registering metrics: %w", err)
	}
	if opts.MetricsAddr != "0" {
		if err := mgr.Add(metrics.NewServer(opts.MetricsAddr, metrics.Handler(ctrlmetrics.Registry, m))); err != nil {
			return nil, err
		}
	}
	recorder := newEventRecorder(scheme, direct, "ferry")
	if err := mgr.Add(recorder); err != nil {
		return nil, err
	}
	fetchOpts := fetch.Options{Metrics: m}
	if !opts.Events.enabled() {
		// Without the HTTP endpoint only a store's own feed reports changes.
		fetchOpts.Indexed = changefeed.HasFeed
	}
	fetcher := fetch.New(opts.Providers, direct, fetchOpts)
	// Every replica fetches (with sharding, standbys serve their shards), so every replica
	// sweeps its own fetcher.
	if err := mgr.Add(everyReplica(func(ctx context.Context) error {
		sweep(ctx, fetcher, sweepEvery)
		return nil
	})); err != nil {
		return nil, err
	}
	changeMetrics, err := changefeed.NewMetrics(ctrlmetrics.Registry)
	if err != nil {
		return nil, fmt.Errorf("registering change feed metrics: %w", err)
	}
	return &services{direct: direct, fetcher: fetcher, recorder: recorder, metrics: m, hashKey: digest.Key(key),
		changes: changefeed.NewHub(fetcher, opts.Events.SafetyInterval, changeMetrics), changeMetrics: changeMetrics}, nil
}

// sharedSecretMetadata returns the metadata cache of unmanaged Secrets that the PushSecret
// controller and the rollout share, added to mgr; nil when the rollout watches no Secret, or
// only those of a resource label selector, and so keeps a narrower cache of its own. One cache
// instead of two holds each Secret of the cluster once: its labels, which PushSecrets'
// selectors read, and the annotations the rollout reads.
func sharedSecretMetadata(mgr manager.Manager, svc *services, opts *Options) (*secretmeta.Cache, error) {
	if !opts.RolloutEnabled || opts.Rollout.IgnoreSecrets || opts.Rollout.ResourceLabelSelector != "" {
		return nil, nil
	}
	c, err := secretmeta.New(mgr.GetConfig(), mgr.GetScheme(), mgr.GetRESTMapper(), mgr.GetHTTPClient(),
		secretmeta.Options{Namespaces: opts.Namespaces, Labels: true, Annotation: rollout.IsSourceAnnotation,
			NewInformer: svc.shards.NewInformer(mgr.GetScheme())})
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(c); err != nil {
		return nil, fmt.Errorf("adding the Secret metadata cache: %w", err)
	}
	return &c, nil
}

// addControllers registers every controller on mgr. Cluster-scoped kinds are left out when
// Ferry watches one namespace.
func addControllers(ctx context.Context, mgr manager.Manager, svc *services, opts *Options) error {
	es := &externalsecret.Reconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Fetcher: svc.fetcher,
		Recorder: svc.recorder, HashKey: svc.hashKey, ControllerClass: opts.ControllerClass,
		Namespaces: opts.Namespaces, Metrics: svc.metrics, Generators: opts.Generators, Direct: svc.direct,
		GeneratorGCGracePeriod: opts.GeneratorGCGracePeriod, Changes: svc.changes, Shards: svc.shards,
		GenericTargets: opts.GenericTargets,
	}
	if err := es.SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: opts.Concurrency}); err != nil {
		return fmt.Errorf("setting up the ExternalSecret controller: %w", err)
	}
	few := controller.Options{MaxConcurrentReconciles: 2}
	if opts.Generators != nil {
		gs := &generatorstate.Reconciler{Client: mgr.GetClient(), Direct: svc.direct, Generators: opts.Generators, Recorder: svc.recorder}
		if err := gs.SetupWithManager(mgr, few); err != nil {
			return fmt.Errorf("setting up the GeneratorState controller: %w", err)
		}
	}
	unmanaged, err := sharedSecretMetadata(mgr, svc, opts)
	if err != nil {
		return err
	}
	ps := &pushsecret.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Fetcher: svc.fetcher,
		Recorder: svc.recorder, ControllerClass: opts.ControllerClass, Namespaces: opts.Namespaces, Metrics: svc.metrics,
		Shards: svc.shards, Generators: opts.Generators, Direct: svc.direct, GeneratorGCGracePeriod: opts.GeneratorGCGracePeriod,
		Changes: svc.changes, SourceMetadata: unmanaged}
	if err := ps.SetupWithManager(ctx, mgr, few); err != nil {
		return fmt.Errorf("setting up the PushSecret controller: %w", err)
	}
	if len(opts.Namespaces) == 0 {
		// With sharding, the leader's cache holds the children of its own shards only: it
		// reads the others from the API server rather than take them for absent.
		var children client.Reader
		if svc.shards != nil {
			children = mgr.GetAPIReader()
		}
		ces := &fanout.Reconciler[*esv1.ClusterExternalSecret, *esv1.ExternalSecret]{Kind: fanout.ExternalSecrets(),
			Client: mgr.GetClient(), Children: children, Recorder: svc.recorder, Metrics: svc.metrics}
		if err := ces.SetupWithManager(mgr, "clusterexternalsecret", few); err != nil {
			return fmt.Errorf("setting up the ClusterExternalSecret controller: %w", err)
		}
		cps := &fanout.Reconciler[*esv1alpha1.ClusterPushSecret, *esv1alpha1.PushSecret]{Kind: fanout.PushSecrets(),
			Client: mgr.GetClient(), Children: children, Recorder: svc.recorder, Metrics: svc.metrics}
		if err := cps.SetupWithManager(mgr, "clusterpushsecret", few); err != nil {
			return fmt.Errorf("setting up the ClusterPushSecret controller: %w", err)
		}
	}
	for _, kind := range []string{esv1.SecretStoreKind, esv1.ClusterSecretStoreKind} {
		if len(opts.Namespaces) > 0 && kind == esv1.ClusterSecretStoreKind {
			continue
		}
		r := &secretstore.Reconciler{Client: mgr.GetClient(), Fetcher: svc.fetcher, Recorder: svc.recorder,
			ControllerClass: opts.ControllerClass, Kind: kind, Metrics: svc.metrics, Changes: svc.changes}
		if err := r.SetupWithManager(mgr, few); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", kind, err)
		}
	}
	feeds := &changefeed.Feeds{Client: mgr.GetClient(), Kube: svc.direct, Registry: opts.Providers, Hub: svc.changes,
		ControllerClass: opts.ControllerClass, Namespaces: opts.Namespaces}
	if err := feeds.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the change feeds: %w", err)
	}
	if !opts.RolloutEnabled {
		return nil
	}
	// Workload restarts on Secret and ConfigMap changes (docs/rollout.md).
	rolloutOpts := opts.Rollout
	rolloutOpts.Namespaces = opts.Namespaces
	// Reads from the manager's cache without its read-your-writes consistency (rollout.Reconciler.Client).
	writer, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(),
		HTTPClient: mgr.GetHTTPClient(), Cache: &client.CacheOptions{Reader: mgr.GetCache()}})
	if err != nil {
		return fmt.Errorf("creating the rollout's client: %w", err)
	}
	rr := &rollout.Reconciler{Client: writer, APIReader: mgr.GetAPIReader(),
		Recorder: svc.recorder, HashKey: svc.hashKey, Options: rolloutOpts, Shards: svc.shards, SecretMetadata: unmanaged}
	if err := rr.SetupWithManager(ctx, mgr); err != nil {
		return fmt.Errorf("setting up the rollout controllers: %w", err)
	}
	return nil
}

// Served lists the namespaces Ferry is restricted to (Namespaces and Namespace), sorted, each
// once; empty means every namespace. A name no namespace can have is an error.
func (o *Options) Served() ([]string, error) {
	var namespaces []string
	for _, ns := range append([]string{o.Namespace}, o.Namespaces...) {
		if ns = strings.TrimSpace(ns); ns == "" || slices.Contains(namespaces, ns) {
			continue
		}
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			return nil, fmt.Errorf("--namespaces: %q is not a namespace name: %s", ns, strings.Join(msgs, "; "))
		}
		namespaces = append(namespaces, ns)
	}
	slices.Sort(namespaces)
	return namespaces, nil
}

// positive returns d, or nil (the default) when d is not above zero.
func positive(d time.Duration) *time.Duration {
	if d <= 0 {
		return nil
	}
	return &d
}

// sweepEvery is how often the fetcher drops stale values and unused documents.
var sweepEvery = time.Minute

// everyReplica is a manager runnable that runs on every replica, leader or not (a
// manager.RunnableFunc waits for the Lease).
type everyReplica func(context.Context) error

// Start runs the function until ctx ends.
func (r everyReplica) Start(ctx context.Context) error { return r(ctx) }

// NeedLeaderElection is false: the runnable does not wait for the Lease.
func (everyReplica) NeedLeaderElection() bool { return false }

// sweep drops stale cached values and unused documents every period until ctx ends.
func sweep(ctx context.Context, f *fetch.Fetcher, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f.Sweep()
		}
	}
}

// loadHashKey reads the hash key from its Secret, creating it with 32 random bytes on first
// start. A stable key keeps data-hash annotations valid across restarts.
func loadHashKey(ctx context.Context, c client.Client, namespace string) ([]byte, error) {
	if namespace == "" {
		return nil, errors.New("operator: OperatorNamespace is required to keep the hash key (or set HashKey)")
	}
	key := client.ObjectKey{Namespace: namespace, Name: HashKeySecret}
	var secret corev1.Secret
	err := c.Get(ctx, key, &secret)
	if err == nil {
		if len(secret.Data["key"]) < 32 {
			return nil, fmt.Errorf("hash key Secret %s/%s: key \"key\" must hold at least 32 bytes; delete the Secret to let Ferry create one", namespace, HashKeySecret)
		}
		return secret.Data["key"], nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("reading hash key Secret %s/%s: %w", namespace, HashKeySecret, err)
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	secret = corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: HashKeySecret},
		Data: map[string][]byte{"key": fresh}}
	if err := c.Create(ctx, &secret); err != nil {
		if apierrors.IsAlreadyExists(err) {
			// Another replica created it first; use theirs.
			return loadHashKey(ctx, c, namespace)
		}
		return nil, fmt.Errorf("creating hash key Secret %s/%s: %w", namespace, HashKeySecret, err)
	}
	return fresh, nil
}
