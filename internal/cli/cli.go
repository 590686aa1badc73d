package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Usage is the help text of the commands.
const Usage = `Usage:
  kubectl ferry status [-n NAMESPACE | -A]            ExternalSecrets: store, readiness, last sync, next refresh
  kubectl ferry sync NAME... [-n NAMESPACE]           sync now (sets ESO's force-sync annotation), then wait for the result
  kubectl ferry explain NAME [-n NAMESPACE]           why an ExternalSecret is not Ready, and what to do
  kubectl ferry preflight [-f PATH | -n NAMESPACE]    before switching from ESO: what Ferry serves, hands off, cannot serve yet

The same commands are "ferry status", "ferry sync", "ferry explain" and "ferry preflight".

Flags:
  --kubeconfig PATH      kubeconfig file (default: $KUBECONFIG or ~/.kube/config)
  --context NAME         kubeconfig context
  -n, --namespace NAME   namespace (default: the context's namespace; preflight: all namespaces)
  -A, --all-namespaces   status: every namespace
  --wait                 sync: wait for the sync to finish (default true)
  --timeout DURATION     sync: how long to wait (default 30s)
  -f, --filename PATH    preflight: read manifests from a file or folder (recursive) instead of the cluster
  --controller-class C   preflight: the --controller-class of the Ferry to judge for (default "")
  -o, --output FORMAT    preflight: table (default) or json

preflight exits 0 when Ferry serves or hands off every object, 1 when it cannot serve one
yet, and 2 when it cannot read its input.
`

// Commands lists the command names Main serves.
var Commands = []string{"status", "sync", "explain", "preflight"}

// env is what a command works with: the API client, the namespace, the output and the clock.
type env struct {
	client    client.Client
	namespace string
	out       io.Writer
	now       func() time.Time
}

// options are the flags shared by the commands.
type options struct {
	kubeconfig, context, namespace string
	allNamespaces, wait            bool
	timeout                        time.Duration
	// preflight
	filename, controllerClass, output string
}

// Main runs one command: args[0] is the command name, the rest its arguments and flags (in
// any order, as kubectl takes them). It returns an error for the caller to print.
func Main(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, Usage)
		return nil
	}
	command := args[0]
	var opts options
	fs := newFlagSet(command, &opts, stderr)
	names, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if command == "preflight" {
			return &inputError{err}
		}
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch command {
	case "status":
		if len(names) > 0 {
			return fmt.Errorf("status takes no names (got %s); use explain NAME for one object", strings.Join(names, " "))
		}
	case "sync":
		if len(names) == 0 {
			return errors.New("sync needs the name of at least one ExternalSecret")
		}
	case "explain":
		if len(names) != 1 {
			return errors.New("explain needs the name of one ExternalSecret")
		}
	case "preflight":
		if len(names) > 0 {
			return fmt.Errorf("preflight takes no names (got %s); use -f PATH for manifests", strings.Join(names, " "))
		}
		return runPreflight(ctx, opts, stdout)
	default:
		return fmt.Errorf("unknown command %q\n\n%s", command, Usage)
	}
	e, err := newEnv(opts, stdout)
	if err != nil {
		return err
	}
	switch command {
	case "status":
		return e.status(ctx, opts.allNamespaces)
	case "sync":
		return e.sync(ctx, names, opts.wait, opts.timeout)
	default:
		return e.explain(ctx, names[0])
	}
}

func newFlagSet(command string, opts *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("kubectl ferry "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, Usage) }
	fs.StringVar(&opts.kubeconfig, "kubeconfig", "", "kubeconfig file")
	fs.StringVar(&opts.context, "context", "", "kubeconfig context")
	fs.StringVar(&opts.namespace, "namespace", "", "namespace")
	fs.StringVar(&opts.namespace, "n", "", "namespace")
	fs.BoolVar(&opts.allNamespaces, "all-namespaces", false, "every namespace")
	fs.BoolVar(&opts.allNamespaces, "A", false, "every namespace")
	fs.BoolVar(&opts.wait, "wait", true, "wait for the sync to finish")
	fs.DurationVar(&opts.timeout, "timeout", 30*time.Second, "how long to wait")
	fs.StringVar(&opts.filename, "filename", "", "manifests to read")
	fs.StringVar(&opts.filename, "f", "", "manifests to read")
	fs.StringVar(&opts.controllerClass, "controller-class", "", "the Ferry's controller class")
	fs.StringVar(&opts.output, "output", "table", "table or json")
	fs.StringVar(&opts.output, "o", "table", "table or json")
	return fs
}

// parseInterspersed parses flags that come before, between or after the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// newEnv loads the kubeconfig the way kubectl does and builds the client.
func newEnv(opts options, out io.Writer) (*env, error) {
	cfg, namespace, err := loadConfig(opts)
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme()})
	if err != nil {
		return nil, fmt.Errorf("connecting to the API server: %w", err)
	}
	return &env{client: c, namespace: namespace, out: out, now: time.Now}, nil
}

// loadConfig reads the kubeconfig as kubectl does and returns the namespace to work in:
// --namespace, or the context's.
func loadConfig(opts options) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.kubeconfig != "" {
		rules.ExplicitPath = opts.kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: opts.context}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := loader.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("loading kubeconfig: %w", err)
	}
	namespace := opts.namespace
	if namespace == "" {
		if namespace, _, err = loader.Namespace(); err != nil {
			return nil, "", fmt.Errorf("reading the kubeconfig's namespace: %w", err)
		}
	}
	return cfg, namespace, nil
}

func scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := esv1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// age prints a duration the way kubectl does: 45s, 12m, 3h, 2d.
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}
