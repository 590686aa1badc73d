// Command ferry is the Ferry operator: it keeps Kubernetes Secrets in sync with external
// secret managers through the external-secrets.io API.
package main

import (
	"flag"
	"fmt"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ferryhq/ferry/internal/logging"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/aws"
	"github.com/ferryhq/ferry/internal/provider/fake"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ferry:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("ferry", flag.ContinueOnError)
	opts := operator.Options{}
	fs.StringVar(&opts.MetricsAddr, "metrics-bind-address", ":8080", "metrics listen address; 0 disables metrics")
	fs.StringVar(&opts.HealthAddr, "health-probe-bind-address", ":8081", "health probe listen address; 0 disables probes")
	fs.BoolVar(&opts.LeaderElection, "leader-elect", true, "elect a leader so that only one replica reconciles")
	fs.StringVar(&opts.LeaderElectionID, "leader-election-id", "ferry.ferry.dev", "name of the leader election Lease")
	fs.StringVar(&opts.OperatorNamespace, "operator-namespace", envOr("POD_NAMESPACE", "ferry-system"),
		"namespace of the leader Lease and the hash-key Secret")
	fs.StringVar(&opts.Namespace, "namespace", "", "watch only this namespace (default: all namespaces)")
	fs.IntVar(&opts.Concurrency, "concurrent", 10, "ExternalSecrets synced in parallel")
	qps := fs.Float64("client-qps", 50, "requests per second to the API server")
	fs.IntVar(&opts.Burst, "client-burst", 100, "burst of requests to the API server")
	fs.StringVar(&opts.ControllerClass, "controller-class", "", "handle only stores whose spec.controller equals this")
	verbosity := fs.Int("v", 0, fmt.Sprintf("log verbosity (0-%d); higher values are capped so request bodies are never logged", logging.MaxVerbosity))
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts.QPS = float32(*qps)
	ctrl.SetLogger(logging.New(os.Stderr, *verbosity))

	opts.Providers = provider.NewRegistry(fake.New(), aws.New())
	ctx := ctrl.SetupSignalHandler()
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	mgr, err := operator.New(ctx, cfg, opts)
	if err != nil {
		return err
	}
	ctrl.Log.Info("Starting Ferry", "namespace", opts.Namespace, "controllerClass", opts.ControllerClass)
	return mgr.Start(ctx)
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
