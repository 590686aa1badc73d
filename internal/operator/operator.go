package operator

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
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
	"github.com/ferryhq/ferry/internal/controller/clusterexternalsecret"
	"github.com/ferryhq/ferry/internal/controller/externalsecret"
	"github.com/ferryhq/ferry/internal/controller/pushsecret"
	"github.com/ferryhq/ferry/internal/controller/secretstore"
	"github.com/ferryhq/ferry/internal/digest"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/generator"
	"github.com/ferryhq/ferry/internal/metrics"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/rollout"
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
}

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
func New(ctx context.Context, cfg *rest.Config, opts Options) (manager.Manager, error) {
	if opts.Providers == nil {
		return nil, errors.New("operator: Options.Providers is required")
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.QPS == 0 {
		opts.QPS, opts.Burst = DefaultQPS, DefaultBurst
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = opts.QPS, opts.Burst
	scheme := Scheme()

	managed := labels.SelectorFromSet(labels.Set{esv1.LabelManaged: esv1.LabelManagedValue})
	cacheOpts := cache.Options{
		// Only Secrets Ferry manages are cached, so memory does not follow every Secret in
		// the cluster.
		ByObject: map[client.Object]cache.ByObject{&corev1.Secret{}: {Label: managed}},
		// Nothing reads managed fields; they are a large part of every cached object.
		DefaultTransform: cache.TransformStripManagedFields(),
	}
	served, err := opts.Served()
	if err != nil {
		return nil, err
	}
	if len(served) > 0 && opts.RolloutEnabled && opts.Rollout.NamespaceSelector != "" {
		// Namespaces are cluster-scoped: a Ferry with Roles only cannot read their labels.
		return nil, errors.New("--namespace-selector needs a Ferry that serves every namespace: with --namespaces, list the namespaces instead")
	}
	for _, ns := range served {
		if cacheOpts.DefaultNamespaces == nil {
			cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		}
		cacheOpts.DefaultNamespaces[ns] = cache.Config{}
	}
	if opts.RolloutEnabled {
		maps.Copy(cacheOpts.ByObject, rollout.CacheByObject())
	}
	metricsAddr := opts.MetricsAddr
	if metricsAddr == "" {
		metricsAddr = "0"
	}
	pprofAddr := opts.PprofAddr
	if pprofAddr == "" {
		pprofAddr = "0"
	}
	healthAddr := opts.HealthAddr
	if healthAddr == "" {
		healthAddr = "0"
	}
	// Providers read auth Secrets and request tokens with an uncached client.
	direct, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("creating API client: %w", err)
	}
	var whServer ctrlwebhook.Server
	var certs *webhook.Certs
	if opts.Webhook.Enabled {
		if whServer, certs, err = webhookServer(ctx, direct, opts.OperatorNamespace, &opts.Webhook); err != nil {
			return nil, err
		}
	}
	readYourWrites := true
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		LeaseDuration: positive(opts.LeaseDuration),
		RenewDeadline: positive(opts.RenewDeadline),
		RetryPeriod:   positive(opts.RetryPeriod),
		WebhookServer: whServer,
		Scheme:        scheme,
		Cache:         cacheOpts,
		// A read from the cache waits until it holds Ferry's own earlier writes of that
		// object, so the reconcile that a write triggers sees the status and Secret just
		// written instead of syncing again and writing a conflicting status.
		Client:                        client.Options{Cache: &client.CacheOptions{EnableReadYourWritesConsistency: &readYourWrites}},
		Metrics:                       metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress:        healthAddr,
		PprofBindAddress:              pprofAddr,
		LeaderElection:                opts.LeaderElection,
		LeaderElectionID:              opts.LeaderElectionID,
		LeaderElectionNamespace:       opts.OperatorNamespace,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return nil, fmt.Errorf("creating manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}

	key := opts.HashKey
	if key == nil {
		if key, err = loadHashKey(ctx, direct, opts.OperatorNamespace); err != nil {
			return nil, err
		}
	}
	if opts.MetricsLabels == "" {
		opts.MetricsLabels = metrics.LabelsESO
	}
	m, err := metrics.New(ctrlmetrics.Registry, mgr.GetCache(),
		metrics.Options{Labels: opts.MetricsLabels, ClusterStores: len(served) == 0})
	if err != nil {
		return nil, fmt.Errorf("registering metrics: %w", err)
	}
	// Every controller records events through one recorder whose memory is bounded.
	recorder := newEventRecorder(scheme, direct, "ferry")
	if err := mgr.Add(recorder); err != nil {
		return nil, err
	}
	fetcher := fetch.New(opts.Providers, direct, fetch.Options{Metrics: m})
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		sweep(ctx, fetcher)
		return nil
	})); err != nil {
		return nil, err
	}

	if opts.Webhook.Enabled {
		if err := addWebhooks(mgr, direct, opts.Providers, opts.OperatorNamespace, &opts.Webhook, certs); err != nil {
			return nil, err
		}
	}

	esOpts := controller.Options{MaxConcurrentReconciles: opts.Concurrency}
	es := &externalsecret.Reconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Fetcher: fetcher,
		Recorder: recorder, HashKey: digest.Key(key), ControllerClass: opts.ControllerClass,
		Namespaces: served, Metrics: m, Generators: opts.Generators, Direct: direct,
	}
	if err := es.SetupWithManager(ctx, mgr, esOpts); err != nil {
		return nil, fmt.Errorf("setting up the ExternalSecret controller: %w", err)
	}
	ps := &pushsecret.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Fetcher: fetcher,
		Recorder: recorder, ControllerClass: opts.ControllerClass, Namespaces: served, Metrics: m}
	if err := ps.SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: 2}); err != nil {
		return nil, fmt.Errorf("setting up the PushSecret controller: %w", err)
	}
	if len(served) == 0 {
		ces := &clusterexternalsecret.Reconciler{Client: mgr.GetClient(), Recorder: recorder, Metrics: m}
		if err := ces.SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: 2}); err != nil {
			return nil, fmt.Errorf("setting up the ClusterExternalSecret controller: %w", err)
		}
	}
	for _, kind := range []string{esv1.SecretStoreKind, esv1.ClusterSecretStoreKind} {
		if len(served) > 0 && kind == esv1.ClusterSecretStoreKind {
			continue
		}
		r := &secretstore.Reconciler{Client: mgr.GetClient(), Fetcher: fetcher, Recorder: recorder,
			ControllerClass: opts.ControllerClass, Kind: kind, Metrics: m}
		if err := r.SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: 2}); err != nil {
			return nil, fmt.Errorf("setting up the %s controller: %w", kind, err)
		}
	}

	// Workload restarts on Secret and ConfigMap changes (docs/rollout.md).
	if opts.RolloutEnabled {
		rolloutOpts := opts.Rollout
		rolloutOpts.Namespaces = served
		rr := &rollout.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(),
			Recorder: recorder, HashKey: digest.Key(key), Options: rolloutOpts}
		if err := rr.SetupWithManager(ctx, mgr); err != nil {
			return nil, fmt.Errorf("setting up the rollout controllers: %w", err)
		}
	}
	return mgr, nil
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

// sweep drops stale cached values and unused documents every minute until ctx ends.
func sweep(ctx context.Context, f *fetch.Fetcher) {
	t := time.NewTicker(time.Minute)
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
