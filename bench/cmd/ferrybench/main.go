// Command ferrybench runs one benchmark scenario of bench/harness and prints its result as
// Markdown: N ExternalSecrets over K AWS keys, against the operator given as a command line.
//
//	ferrybench [-n 10000] [-k 1000] [-operator 'CMD'] [-append bench/RESULTS.md]
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/ferryhq/ferry/bench/harness"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferrybench:", err)
		os.Exit(1)
	}
}

func run() error {
	var cfg harness.Config
	flag.IntVar(&cfg.N, "n", 1000, "ExternalSecrets")
	flag.IntVar(&cfg.K, "k", 100, "distinct remote keys the ExternalSecrets read (object i reads key i mod k)")
	flag.IntVar(&cfg.Namespaces, "namespaces", 10, "namespaces the ExternalSecrets are spread over")
	flag.DurationVar(&cfg.Interval, "interval", 0, "refreshInterval of every ExternalSecret (default 2m)")
	flag.Float64Var(&cfg.QPS, "qps", 1000, "client QPS given to the operator ({qps}) and to the floor's bare client")
	flag.IntVar(&cfg.Burst, "burst", 2000, "client burst given to the operator ({burst}) and to the floor's bare client")
	flag.IntVar(&cfg.Concurrency, "concurrent", 20, "reconcile concurrency given to the operator ({concurrent}); the floor uses as many workers")
	flag.IntVar(&cfg.Unrelated, "unrelated", 0, "Secrets no ExternalSecret targets, created before the operator starts")
	flag.IntVar(&cfg.UnrelatedSize, "unrelated-size", 100*1024, "bytes of data in each unrelated Secret")
	flag.StringVar(&cfg.Operator, "operator", harness.DefaultOperator,
		"command line of the operator under test, run with sh -c 'exec ...'; {ferry} is ./cmd/ferry built by the harness, "+
			"{qps} {burst} {concurrent} the flags above, {metrics} a free loopback address for its metrics endpoint; KUBECONFIG, AWS_ENDPOINT_URL and AWS_REGION are set")
	flag.StringVar(&cfg.FerryBinary, "ferry", "", "use this ferry binary for {ferry} instead of building one")
	flag.IntVar(&cfg.SteadyCycles, "steady-cycles", 3, "refresh intervals observed with nothing changed (0 skips)")
	flag.BoolVar(&cfg.Rotation, "rotation", true, "change one remote value and time how long its Secrets take to follow")
	flag.BoolVar(&cfg.Feed, "feed", false, "give the store an SQS change feed (on moto); the rotation sends the change's EventBridge event")
	flag.BoolVar(&cfg.Floor, "floor", true, "measure the floors: a bare client creating N Secrets, and one doing what N first syncs must")
	flag.BoolVar(&cfg.WarmRestart, "warm-restart", true, "with everything in sync (after the rotation), restart the operator and time until it reports every object Ready on its metrics ({metrics})")
	flag.StringVar(&cfg.WorkDir, "workdir", "", "keep the kubeconfig and the operator's logs here (default: a temporary directory)")
	flag.StringVar(&cfg.ProfileDir, "profile-dir", "", "save CPU profiles of kube-apiserver taken during the floors and the cold start (and of the operator, with -operator-pprof, during the cold start) here, "+
		"and the heap of each sharded replica whose command line serves pprof on {pprof}")
	flag.StringVar(&cfg.OperatorPprof, "operator-pprof", "", "base URL of the operator's /debug/pprof, e.g. http://127.0.0.1:6060 (add --pprof-bind-address=127.0.0.1:6060 to ferry's command line)")
	flag.IntVar(&cfg.Sharded, "sharded", 0, "end with this many Ferry replicas with --sharding=on in place of the operator, and report each one's memory (use -namespaces well above the shard count's share, e.g. 100)")
	repeat := flag.Int("repeat", 1, "run the scenario this many times, each on a fresh control plane, and judge the time and memory targets on the medians")
	appendTo := flag.String("append", "", "also append the Markdown result to this file (e.g. bench/RESULTS.md)")
	soak := flag.Duration("soak", 0, "instead of the scenario, run the fault soak for this long (1h: the schedule of `make soak`) with two replicas")
	flag.IntVar(&cfg.Workloads, "workloads", 0, "Deployments that restart on their Secret's changes, Deployment j reading ExternalSecret j mod n's (soak default: k)")
	flag.Parse()
	// Fail before the run, not after an hour of it, when the result could not be written.
	if err := appendResult(*appendTo, ""); err != nil {
		return err
	}
	cfg.Progress = os.Stderr
	ctrllog.SetLogger(logr.Discard()) // the harness reports through Progress

	// Stopping cleanly stops the control plane, moto and the operator the harness started.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var md strings.Builder
	if *soak > 0 {
		if cfg.Operator == harness.DefaultOperator {
			cfg.Operator = harness.SoakOperator
		}
		sch := harness.HourSchedule()
		sch.Duration = *soak
		cfg.Workloads = cmp.Or(cfg.Workloads, cfg.K)
		res, err := harness.RunSoak(ctx, harness.SoakConfig{Config: cfg, Schedule: sch})
		if err != nil {
			return err
		}
		res.Markdown(&md)
	} else {
		var runs harness.Repeated
		for range max(*repeat, 1) {
			res, err := harness.Run(ctx, cfg)
			if err != nil {
				return err
			}
			res.Markdown(&md)
			runs = append(runs, res)
		}
		if len(runs) > 1 {
			runs.Markdown(&md)
		}
	}
	fmt.Print(md.String())
	return appendResult(*appendTo, md.String())
}

// appendResult appends the Markdown to a file, when one is named.
func appendResult(appendTo, md string) error {
	if appendTo != "" {
		f, err := os.OpenFile(appendTo, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644) //nolint:gosec // the file the user named
		if err != nil {
			return err
		}
		if md == "" {
			return f.Close()
		}
		if _, err := f.WriteString("\n" + md); err != nil {
			_ = f.Close()
			return err
		}
		return f.Close()
	}
	return nil
}
