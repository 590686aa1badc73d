// Command ferry is the Ferry operator: it keeps Kubernetes Secrets in sync with external
// secret managers through the external-secrets.io API.
//
//	ferry [flags]               run the operator
//	ferry convert [FILE...]     rewrite v1alpha1/v1beta1 manifests as v1, offline
//	ferry render -f ES --values V   render an ExternalSecret's template offline
//	ferry status|sync|explain|preflight   the kubectl plugin's commands (kubectl ferry ...)
//	ferry version (--version)   the version, commit and build date of this binary
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ferryhq/ferry/internal/builtin"
	"github.com/ferryhq/ferry/internal/changefeed"
	"github.com/ferryhq/ferry/internal/cli"
	"github.com/ferryhq/ferry/internal/controller/externalsecret"
	"github.com/ferryhq/ferry/internal/logging"
	"github.com/ferryhq/ferry/internal/metrics"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/shard"
	"github.com/ferryhq/ferry/internal/version"

	// The Mozilla roots compiled in: the image has no /etc/ssl, and TLS to AWS, Vault, GCP
	// and Azure must verify. Roots found on the system still take precedence.
	_ "golang.org/x/crypto/x509roots/fallback"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ferry:", err)
		os.Exit(cli.ExitCode(err))
	}
}

func run(args []string) error {
	if len(args) > 0 && isVersion(args[0]) {
		_, err := fmt.Fprintln(os.Stdout, version.Get())
		return err
	}
	if len(args) > 0 && args[0] == "convert" {
		return runConvert(args[1:], os.Stdin, os.Stdout)
	}
	if len(args) > 0 && args[0] == "render" {
		return runRender(args[1:], os.Stdout)
	}
	if len(args) > 0 && slices.Contains(cli.Commands, args[0]) {
		return cli.Main(args, os.Stdout, os.Stderr)
	}
	opts, verbosity, err := parseFlags(args)
	if err != nil {
		return err
	}
	served, err := opts.Served()
	if err != nil {
		return err
	}
	ctrl.SetLogger(logging.New(os.Stderr, verbosity))

	ctx := ctrl.SetupSignalHandler()
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	// The kubernetes provider reads "the cluster Ferry runs in" at this config's address.
	opts.Providers, opts.Generators = builtin.Registries(cfg)
	mgr, err := operator.New(ctx, cfg, opts)
	if err != nil {
		return err
	}
	gcPercent, memoryLimit := setGCPercent(), setMemoryLimit("/sys/fs/cgroup")
	if err := mgr.Add(startupPages{cache: mgr.GetCache()}); err != nil {
		return err
	}
	releaseBinaryPages()
	ctrl.Log.Info("Starting Ferry", "namespaces", served, "controllerClass", opts.ControllerClass,
		"gcPercent", gcPercent, "softMemoryLimitBytes", memoryLimit)
	return mgr.Start(ctx)
}

// parseFlags reads the operator's flags into its options, and the log verbosity.
func parseFlags(args []string) (operator.Options, int, error) {
	fs := flag.NewFlagSet("ferry", flag.ContinueOnError)
	opts := operator.Options{}
	fs.StringVar(&opts.MetricsAddr, "metrics-bind-address", ":8080", "metrics listen address; 0 disables metrics")
	fs.StringVar(&opts.HealthAddr, "health-probe-bind-address", ":8081", "health probe listen address; 0 disables probes")
	fs.StringVar(&opts.PprofAddr, "pprof-bind-address", "0", "listen address of Go's profiling endpoints (/debug/pprof); 0 disables them")
	fs.BoolVar(&opts.LeaderElection, "leader-elect", true, "elect a leader so that only one replica reconciles")
	fs.StringVar(&opts.LeaderElectionID, "leader-election-id", "ferry.ferry.dev", "name of the leader election Lease")
	fs.DurationVar(&opts.LeaseDuration, "leader-election-lease-duration", 15*time.Second,
		"how long a standby replica waits after the leader's last renewal before it takes over")
	fs.DurationVar(&opts.RenewDeadline, "leader-election-renew-deadline", 10*time.Second,
		"how long the leader keeps trying to renew its Lease before it steps down")
	fs.DurationVar(&opts.RetryPeriod, "leader-election-retry-period", 2*time.Second, "how often replicas try to take or renew the Lease")
	fs.StringVar(&opts.OperatorNamespace, "operator-namespace", envOr("POD_NAMESPACE", "ferry-system"),
		"namespace of the leader Lease and the hash-key Secret")
	fs.Func("namespaces", "comma-separated namespaces: serve only these, with Roles in each and no cluster-wide rights, and no cluster-scoped kinds (default: all namespaces)",
		listFlag(&opts.Namespaces))
	fs.StringVar(&opts.Namespace, "namespace", "", "serve only this namespace: the same as --namespaces with one name")
	fs.IntVar(&opts.Concurrency, "concurrent", operator.DefaultConcurrency, "ExternalSecrets synced in parallel")
	qps := fs.Float64("client-qps", operator.DefaultQPS,
		"requests per second to the API server; negative leaves the pace to the server's API Priority and Fairness")
	fs.IntVar(&opts.Burst, "client-burst", operator.DefaultBurst, "burst of requests to the API server")
	metricsLabels := fs.String("metrics-labels", string(metrics.LabelsESO),
		"labels of ESO's metric series: eso (name and namespace of each object, as ESO) or low (namespace only, no per-object series)")
	webhookFlags(fs, &opts.Webhook)
	fs.DurationVar(&opts.GeneratorGCGracePeriod, "generator-gc-grace-period", 2*time.Minute,
		"how long what a stateful generator created (a Grafana token) stays valid after a new one replaced it")
	fs.StringVar(&opts.ControllerClass, "controller-class", "", "handle only stores whose spec.controller equals this")
	fs.StringVar(&opts.Events.BindAddress, "events-bind-address", "0",
		"listen address of the HTTP endpoint that accepts change reports (POST /v1/changes); 0 disables it")
	fs.StringVar(&opts.Events.SecretName, "events-secret", operator.DefaultEventsSecret,
		"Secret in the operator namespace whose hmac-key and token authenticate change reports")
	fs.DurationVar(&opts.Events.SafetyInterval, "events-safety-interval", changefeed.DefaultSafetyInterval,
		"refresh interval of objects whose stores all have healthy change feeds (their own longer intervals win)")
	fs.BoolVar(&opts.RolloutEnabled, "rollout", true, "restart workloads that opt in with Reloader's (or Ferry's) annotations when their Secrets or ConfigMaps change")
	rolloutFlags(fs, &opts.Rollout)
	fs.Func("sharding", "on: every replica reconciles the ExternalSecrets, PushSecrets and workloads of its shards "+
		"(active-active; cluster-scoped work stays with the leader); off (default): the leader does everything",
		onOff(&opts.Sharding.Enabled))
	fs.IntVar(&opts.Sharding.Count, "shard-count", operator.DefaultShardCount, "number of shards, the same on every replica (with --sharding=on)")
	shardKey := fs.String("shard-key", string(shard.ByNamespace),
		"what an object's shard is computed from: namespace (a namespace's objects and stores stay together) or namespace-name (with --sharding=on)")
	fs.StringVar(&opts.Sharding.ReplicaName, "replica-name", replicaName(),
		"this replica's name in its Leases and its user agent (default $POD_NAME, then the host name)")
	fs.BoolVar(&opts.GenericTargets.Enabled, "unsafe-allow-generic-targets", false,
		"let ExternalSecrets write ConfigMaps and custom resources (spec.target.manifest), which are not stored as Secrets are")
	var genericKinds []string
	fs.Func("generic-target-kinds", "comma-separated kinds generic targets may write: Kind for the core group, group/Kind otherwise "+
		"(ConfigMap,example.com/Widget); default: every kind Ferry's RBAC allows", listFlag(&genericKinds))
	verbosity := fs.Int("v", 0, fmt.Sprintf("log verbosity (0-%d); higher values are capped so request bodies are never logged", logging.MaxVerbosity))
	if err := fs.Parse(args); err != nil {
		return opts, 0, err
	}
	opts.QPS = float32(*qps)
	kinds, err := externalsecret.ParseGenericTargetKinds(genericKinds)
	if err != nil {
		return opts, 0, err
	}
	opts.GenericTargets.Kinds = kinds
	keyBy, err := shard.ParseKeyBy(*shardKey)
	if err != nil {
		return opts, 0, err
	}
	opts.Sharding.KeyBy = keyBy
	if err := shardingFlagsUsed(fs, opts.Sharding.Enabled); err != nil {
		return opts, 0, err
	}
	labels, err := metrics.ParseLabels(*metricsLabels)
	if err != nil {
		return opts, 0, err
	}
	opts.MetricsLabels = labels
	return opts, *verbosity, nil
}

// webhookFlags are the flags of the validating and conversion webhooks' server.
func webhookFlags(fs *flag.FlagSet, w *operator.WebhookOptions) {
	fs.BoolVar(&w.Enabled, "webhook", true, "serve the validating and conversion webhooks")
	fs.StringVar(&w.Host, "webhook-host", "", "webhook listen host (default all interfaces)")
	fs.IntVar(&w.Port, "webhook-port", 9443, "webhook listen port")
	fs.StringVar(&w.CertMode, "webhook-cert-mode", operator.CertsSelf,
		"self: Ferry keeps its own CA and certificate in a Secret; external: use --webhook-cert-dir (cert-manager)")
	fs.StringVar(&w.CertDir, "webhook-cert-dir", "", "directory with tls.crt, tls.key and ca.crt (external mode)")
	fs.StringVar(&w.SecretName, "webhook-secret", "ferry-webhook-tls", "Secret holding the self-managed certificates")
	fs.StringVar(&w.ServiceName, "webhook-service", "ferry-webhook", "Service in the operator namespace that fronts the webhook")
	fs.StringVar(&w.URL, "webhook-url", "", "reach the webhook at this https URL instead of the Service (local development)")
	fs.StringVar(&w.ConfigName, "webhook-config-name", "ferry-validating-webhook", "name of the ValidatingWebhookConfiguration Ferry keeps")
}

// isVersion tells whether arg asks for the version: the subcommand, or the flag every
// release tool expects.
func isVersion(arg string) bool {
	return arg == "version" || arg == "--version" || arg == "-version"
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
