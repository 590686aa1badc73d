package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// Config is one benchmark scenario. Zero values pick the defaults of Defaults.
type Config struct {
	// N ExternalSecrets read K remote keys, spread evenly (object i reads key i mod K), in
	// Namespaces namespaces, through one ClusterSecretStore with IRSA auth.
	N, K, Namespaces int
	// Interval is every object's refreshInterval.
	Interval time.Duration
	// QPS, Burst and Concurrency are given to the operator ({qps}, {burst}, {concurrent})
	// and to the floor's bare client (workers = Concurrency).
	QPS         float64
	Burst       int
	Concurrency int
	// Unrelated Secrets of UnrelatedSize bytes are created before the operator starts.
	Unrelated, UnrelatedSize int
	// Operator is the command line of the operator under test (see DefaultOperator).
	Operator string
	// FerryBinary fills {ferry}; when empty and Operator uses it, the harness builds
	// ./cmd/ferry into WorkDir.
	FerryBinary string
	// SteadyCycles refresh intervals are observed with nothing changed; 0 skips them.
	SteadyCycles int
	// Rotation changes one remote value and measures how long its Secrets take to follow.
	Rotation bool
	// Floor measures the bare client creating N Secrets.
	Floor bool
	// ColdTimeout bounds the cold start.
	ColdTimeout time.Duration
	// WorkDir holds the kubeconfig, the built binary and the operator's logs; a temporary
	// directory when empty.
	WorkDir string
	// Progress receives a line per step; nil discards them.
	Progress io.Writer
	// ProfileDir, when set, receives CPU profiles of kube-apiserver (and of the operator,
	// when OperatorPprof is set) taken during the cold start, and the operator's heap at its
	// end.
	ProfileDir string
	// OperatorPprof is the base URL of the operator's /debug/pprof endpoints, e.g.
	// http://127.0.0.1:6060 with Ferry's --pprof-bind-address=127.0.0.1:6060.
	OperatorPprof string
}

// Defaults fills the zero fields of cfg.
func (cfg *Config) Defaults() {
	setDefault(&cfg.N, 1000)
	setDefault(&cfg.K, 100)
	setDefault(&cfg.Namespaces, 10)
	setDefault(&cfg.Interval, 2*time.Minute)
	setDefault(&cfg.QPS, 1000)
	setDefault(&cfg.Burst, 2000)
	setDefault(&cfg.Concurrency, 20)
	setDefault(&cfg.UnrelatedSize, 100*1024)
	setDefault(&cfg.Operator, DefaultOperator)
	setDefault(&cfg.ColdTimeout, 30*time.Minute)
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// Phase is what the operator did during one part of a run.
type Phase struct {
	Took time.Duration
	// Provider counts AWS requests by operation, at moto's side.
	Provider map[string]int
	// API counts Kubernetes API requests by verb and resource, at the proxy.
	API map[apiRequest]int
	// CPU is the CPU time each process used in the phase: the operator, kube-apiserver,
	// etcd, moto and the harness.
	CPU map[string]time.Duration
}

// SecretWrites counts creates, updates, patches and deletes of Secrets.
func (p Phase) SecretWrites() int { return p.writes("secrets") }

// StatusWrites counts updates and patches of ExternalSecret status.
func (p Phase) StatusWrites() int { return p.writes("externalsecrets/status") }

func (p Phase) writes(resource string) int {
	n := 0
	for r, c := range p.API {
		if r.Resource == resource && r.Verb != "get" && r.Verb != "list" && r.Verb != "watch" {
			n += c
		}
	}
	return n
}

// ProviderReads counts requests that read secret values.
func (p Phase) ProviderReads() int {
	return p.Provider["GetSecretValue"] + p.Provider["BatchGetSecretValue"]
}

// ProviderCalls counts every request to Secrets Manager and STS.
func (p Phase) ProviderCalls() int {
	n := 0
	for _, c := range p.Provider {
		n += c
	}
	return n
}

// STSCalls counts requests to STS.
func (p Phase) STSCalls() int {
	return p.Provider["AssumeRoleWithWebIdentity"] + p.Provider["AssumeRole"] + p.Provider["GetCallerIdentity"]
}

// Result is the outcome of a run.
type Result struct {
	Config  Config
	Command string
	Started time.Time
	// LoadBefore and LoadAfter are /proc/loadavg at the start and the end.
	LoadBefore, LoadAfter string

	Floor time.Duration
	// FloorCPU is the CPU time each process used during the floor.
	FloorCPU map[string]time.Duration
	// Cold is the cold start: operator start until all N objects are Ready.
	Cold     Phase
	P50, P99 time.Duration
	// ColdPeakRSS is the operator's peak resident memory at the end of the cold start.
	ColdPeakRSS int64
	// Steady is the window with nothing changed, of Cycles refresh intervals.
	Steady Phase
	Cycles int
	// Rotation is one remote value changing until all Secrets that read it hold it.
	Rotation        Phase
	RotationSecrets int
	// PeakRSS is the operator's peak resident memory over the whole run.
	PeakRSS int64
}

// Run runs one scenario from a fresh control plane and moto, and stops everything it
// started before returning.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.Defaults()
	res := &Result{Config: cfg, Started: time.Now(), LoadBefore: loadAverage()}
	say := func(format string, args ...any) {
		_, _ = fmt.Fprintf(cfg.Progress, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	if cfg.WorkDir == "" {
		dir, err := os.MkdirTemp("", "ferrybench")
		if err != nil {
			return nil, err
		}
		defer func() { _ = os.RemoveAll(dir) }()
		cfg.WorkDir = dir
	}
	if strings.Contains(cfg.Operator, "{ferry}") && cfg.FerryBinary == "" {
		say("building ./cmd/ferry")
		bin, err := buildFerry(cfg.WorkDir)
		if err != nil {
			return nil, err
		}
		cfg.FerryBinary = bin
	}
	res.Command = cfg.expand(cfg.Operator)

	say("starting kube-apiserver, etcd and moto")
	cp, err := testenv.StartControlPlane()
	if err != nil {
		return nil, err
	}
	defer func() { _ = cp.Stop() }()
	moto, err := testenv.StartMoto()
	if err != nil {
		return nil, err
	}
	defer func() { _ = moto.Stop() }()
	proxy, err := startKubeProxy(cp.Config)
	if err != nil {
		return nil, err
	}
	defer proxy.Stop()
	kubeconfig := filepath.Join(cfg.WorkDir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, proxy.URL); err != nil {
		return nil, err
	}
	env := []string{"KUBECONFIG=" + kubeconfig, "AWS_ENDPOINT_URL=" + moto.Endpoint, "AWS_REGION=" + region,
		"AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "POD_NAMESPACE=ferry-system"}

	direct := rest.CopyConfig(cp.Config)
	direct.QPS = -1 // the harness's own requests are not what is measured
	kube, err := client.New(direct, client.Options{Scheme: scheme()})
	if err != nil {
		return nil, err
	}
	sm := secretsManagerClient(moto.Endpoint)

	say("seeding %d remote keys and the ClusterSecretStore", cfg.K)
	if err := seedKeys(ctx, sm, cfg.K); err != nil {
		return nil, err
	}
	if err := seedStore(ctx, kube, &cfg); err != nil {
		return nil, err
	}
	// A first run of the operator validates the store, as before any restart.
	say("first operator run: validating the store")
	if err := validateStore(ctx, kube, res.Command, env, filepath.Join(cfg.WorkDir, "operator-first.log")); err != nil {
		return nil, err
	}
	say("creating %d ExternalSecrets in %d namespaces", cfg.N, cfg.Namespaces)
	if err := seedExternalSecrets(ctx, kube, &cfg); err != nil {
		return nil, err
	}
	if cfg.Unrelated > 0 {
		say("creating %d unrelated Secrets of %d bytes", cfg.Unrelated, cfg.UnrelatedSize)
		if err := seedUnrelated(ctx, kube, cfg.Unrelated, cfg.UnrelatedSize); err != nil {
			return nil, err
		}
	}
	if cfg.Floor {
		say("floor: a bare client creates %d Secrets (qps %g, burst %d, %d workers)", cfg.N, cfg.QPS, cfg.Burst, cfg.Concurrency)
		before := cpuTimes(0)
		took, cleanup, err := floor(ctx, direct, &cfg)
		if err != nil {
			return nil, err
		}
		res.Floor, res.FloorCPU = took, cpuSince(before, cpuTimes(0))
		if err := cleanup(); err != nil {
			return nil, err
		}
		say("floor: %s", res.Floor.Round(time.Millisecond))
	}

	moto.ResetCalls()
	proxy.Reset()
	cpuBefore := cpuTimes(0)
	ready, err := newReadiness(direct)
	if err != nil {
		return nil, err
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	say("cold start: %s", res.Command)
	op, err := startOperator(res.Command, env, filepath.Join(cfg.WorkDir, "operator.log"))
	if err != nil {
		return nil, err
	}
	defer op.stop()
	ready.start(watchCtx, op.started)
	profiles := startProfiles(ctx, cfg.ProfileDir, "cold", map[string]string{"apiserver": proxy.URL, "operator": cfg.OperatorPprof})
	if err := waitAllReady(ctx, op, ready, cfg.N, cfg.ColdTimeout, say); err != nil {
		profiles.stop()
		return nil, withLog(err, op.log.Name())
	}
	profiles.stop()
	heapProfile(ctx, cfg.ProfileDir, "operator-cold", cfg.OperatorPprof)
	times := ready.times()
	res.Cold = snapshot(times[len(times)-1], moto, proxy, op, cpuBefore)
	res.P50, res.P99 = percentile(times, 50), percentile(times, 99)
	res.ColdPeakRSS, _, _ = op.memory()
	say("cold start: all %d Ready after %s", cfg.N, res.Cold.Took.Round(time.Millisecond))

	if cfg.SteadyCycles > 0 {
		moto.ResetCalls()
		proxy.Reset()
		cpuBefore := cpuTimes(op.pid())
		window := time.Duration(cfg.SteadyCycles) * cfg.Interval
		say("steady state: watching %s (%d refresh cycles)", window, cfg.SteadyCycles)
		if err := sleepWhileRunning(ctx, op, window); err != nil {
			return nil, withLog(err, op.log.Name())
		}
		res.Steady, res.Cycles = snapshot(window, moto, proxy, op, cpuBefore), cfg.SteadyCycles
	}
	if cfg.Rotation {
		say("rotation: changing %s", remoteKey(0))
		// Counting starts after the harness's own write of the new value.
		var cpuBefore map[string]time.Duration
		took, affected, err := rotate(ctx, kube, sm, &cfg, op, func() {
			moto.ResetCalls()
			proxy.Reset()
			cpuBefore = cpuTimes(op.pid())
		})
		if err != nil {
			return nil, withLog(err, op.log.Name())
		}
		res.Rotation, res.RotationSecrets = snapshot(took, moto, proxy, op, cpuBefore), affected
		say("rotation: %d Secrets hold the new value after %s", affected, took.Round(time.Millisecond))
	}
	res.PeakRSS, _, _ = op.memory()
	res.LoadAfter = loadAverage()
	return res, nil
}

// snapshot reads the counters and the CPU used since cpuBefore; the operator's CPU before
// its start was zero.
func snapshot(took time.Duration, moto *testenv.Moto, proxy *kubeProxy, op *operator, cpuBefore map[string]time.Duration) Phase {
	return Phase{Took: took, Provider: moto.AllCalls(), API: proxy.Counts(), CPU: cpuSince(cpuBefore, cpuTimes(op.pid()))}
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

func buildFerry(dir string) (string, error) {
	root, err := testenv.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ferry")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ferry")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building ferry: %w\n%s", err, out)
	}
	return bin, nil
}

// writeKubeconfig points a kubeconfig at the counting proxy, which needs no credentials.
func writeKubeconfig(path, server string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["bench"] = &clientcmdapi.Cluster{Server: server}
	cfg.AuthInfos["bench"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["bench"] = &clientcmdapi.Context{Cluster: "bench", AuthInfo: "bench"}
	cfg.CurrentContext = "bench"
	return clientcmd.WriteToFile(*cfg, path)
}

// validateStore runs the operator until the ClusterSecretStore is Ready, then stops it.
func validateStore(ctx context.Context, kube client.Client, command string, env []string, logPath string) error {
	op, err := startOperator(command, env, logPath)
	if err != nil {
		return err
	}
	defer op.stop()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		var store esv1.ClusterSecretStore
		if err := kube.Get(ctx, client.ObjectKey{Name: storeName}, &store); err != nil {
			return err
		}
		for _, c := range store.Status.Conditions {
			if c.Type == esv1.SecretStoreReady && c.Status == metav1.ConditionTrue {
				return nil
			}
		}
		if done, how := op.exited(); done {
			return withLog(fmt.Errorf("the operator exited (%s) before the store was Ready", how), logPath)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
	return withLog(errors.New("the ClusterSecretStore was not Ready after 2m"), logPath)
}

func waitAllReady(ctx context.Context, op *operator, ready *readiness, n int, timeout time.Duration, say func(string, ...any)) error {
	deadline := time.Now().Add(timeout)
	lastReport := time.Now()
	for {
		count, werr := ready.count()
		if count >= n {
			return nil
		}
		if done, how := op.exited(); done {
			return fmt.Errorf("the operator exited (%s) with %d of %d Ready", how, count, n)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d Ready after %s (last watch error: %w)", count, n, timeout, werr)
		}
		if time.Since(lastReport) > 10*time.Second {
			say("cold start: %d of %d Ready", count, n)
			lastReport = time.Now()
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

func sleepWhileRunning(ctx context.Context, op *operator, d time.Duration) error {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		if done, how := op.exited(); done {
			return fmt.Errorf("the operator exited (%s)", how)
		}
		if err := sleep(ctx, min(time.Second, time.Until(end))); err != nil {
			return err
		}
	}
	return nil
}

// rotate writes a new value of key 0, calls written, and waits until every Secret that
// reads it holds it. The wait is bounded by three refresh intervals.
func rotate(ctx context.Context, kube client.Client, sm *secretsmanager.Client, cfg *Config, op *operator, written func()) (time.Duration, int, error) {
	var targets []client.ObjectKey
	for i := 0; i < cfg.N; i += cfg.K {
		targets = append(targets, client.ObjectKey{Namespace: cfg.namespaceOf(i), Name: esName(i)})
	}
	value, err := rotateKey(ctx, sm, 0, 2)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	written()
	deadline := start.Add(3 * cfg.Interval)
	pending := targets
	for len(pending) > 0 {
		var still []client.ObjectKey
		for _, key := range pending {
			var s corev1.Secret
			if err := kube.Get(ctx, key, &s); err != nil || string(s.Data[secretKey]) != value {
				still = append(still, key)
			}
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if done, how := op.exited(); done {
			return 0, 0, fmt.Errorf("the operator exited (%s) during the rotation", how)
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("rotation: %d of %d Secrets still hold the old value after %s", len(pending), len(targets), 3*cfg.Interval)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return 0, 0, err
		}
	}
	return time.Since(start), len(targets), nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// withLog adds the tail of the operator's log to err.
func withLog(err error, path string) error {
	b, _ := os.ReadFile(path) //nolint:gosec // the operator's log in the harness's work directory
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return fmt.Errorf("%w\noperator log (%s), last lines:\n%s", err, path, b)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	fields := strings.Fields(string(b))
	if len(fields) < 3 {
		return strings.TrimSpace(string(b))
	}
	return strings.Join(fields[:3], " ")
}
