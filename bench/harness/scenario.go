package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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
	// Workloads Deployments opt in to restarts with Reloader's auto annotation; Deployment j
	// reads the Secret of ExternalSecret j mod N. The scenario creates them with the
	// ExternalSecrets, before the cold start; the soak once every object is Ready.
	Workloads int
	// Operator is the command line of the operator under test (see DefaultOperator).
	Operator string
	// FerryBinary fills {ferry}; when empty and Operator uses it, the harness builds
	// ./cmd/ferry into WorkDir.
	FerryBinary string
	// SteadyCycles refresh intervals are observed with nothing changed; 0 skips them.
	SteadyCycles int
	// Rotation changes one remote value and measures how long its Secrets take to follow.
	Rotation bool
	// Feed gives the store an SQS change feed (events.ferry.dev/aws-sqs-queue-url on a
	// moto queue); the rotation then puts the change's EventBridge event on the queue, as
	// EventBridge would, right after writing the value.
	Feed bool
	// Floor measures the two floors: a bare client creating N Secrets, and a bare client
	// doing what N first syncs must (create the Secret, patch the status, record an event).
	Floor bool
	// WarmRestart stops the operator once everything is in sync (after the rotation) and
	// starts it again: the time until the new process reports every object Ready on its
	// metrics endpoint, and what it asked of the provider and the API server meanwhile.
	// Operator must then hold {metrics}.
	WarmRestart bool
	// MetricsAddr fills {metrics}: a free loopback address the harness picks.
	MetricsAddr string
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
	// Sharded, above 1, ends the run with that many Ferry replicas with --sharding=on in
	// place of the operator, and reports each one's memory (docs/design/0006-sharding.md).
	// Operator must then be Ferry's and hold {metrics}.
	Sharded int
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

// ProviderCalls counts every request to Secrets Manager and STS; a change feed's own SQS
// requests (feedOps) are not the store's calls.
func (p Phase) ProviderCalls() int {
	n := 0
	for op, c := range p.Provider {
		if !feedOps[op] {
			n += c
		}
	}
	return n
}

// feedOps are the SQS requests a change feed makes: its polls and acknowledgements.
var feedOps = map[string]bool{"ReceiveMessage": true, "DeleteMessage": true, "DeleteMessageBatch": true,
	"ChangeMessageVisibility": true, "ChangeMessageVisibilityBatch": true}

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
	// FirstSyncFloor is the bare client doing what N first syncs must; FirstSyncFloorCPU
	// the CPU each process used meanwhile.
	FirstSyncFloor    time.Duration
	FirstSyncFloorCPU map[string]time.Duration
	// BinarySize is the size of the ferry binary, when the operator is Ferry.
	BinarySize int64
	// IdleMemory is the operator's memory with the store Ready and no ExternalSecret.
	IdleMemory procMemory
	// Cold is the cold start: operator start until all N objects are Ready.
	Cold     Phase
	P50, P99 time.Duration
	// ColdReconciles counts the operator's reconciles of ExternalSecrets in the cold start,
	// and the syncs among them: none that finds nothing to do when the events of its own
	// writes queue no reconcile.
	ColdReconciles reconcileCounts
	// ColdPeakRSS is the operator's peak resident memory at the end of the cold start, and
	// ColdMemory its memory then.
	ColdPeakRSS int64
	ColdMemory  procMemory
	// Warm is the warm restart: the new process's start until it reports every object
	// Ready, plus warmSettle; WarmP50/P99 are per-object times to that report, from its
	// start (as fine as the scrapes); WarmMemory its memory at the end.
	Warm             Phase
	WarmP50, WarmP99 time.Duration
	WarmMemory       procMemory
	// AfterRestart is the first refresh interval after the warm restart's counting ended.
	AfterRestart Phase
	// Steady is the window with nothing changed, of Cycles refresh intervals.
	Steady Phase
	Cycles int
	// Rotation is one remote value changing until all Secrets that read it hold it; its
	// counts run on until the API requests stop (warmSettle), to include the status
	// patches that follow the Secrets.
	Rotation        Phase
	RotationSecrets int
	// RotationP50 and RotationP99 are the times at which half and 99% of those Secrets
	// held the new value (as fine as the harness's reads, every 100 ms).
	RotationP50, RotationP99 time.Duration
	// PeakRSS is the operator's peak resident memory over the whole run.
	PeakRSS int64
	// ShardedMemory is each sharded replica's memory once all were quiet, ShardedTook the
	// time from their start until then.
	ShardedMemory []procMemory
	ShardedRoles  []replicaRole // what each held then: shards, objects cached, leadership
	ShardedTook   time.Duration
}

// run is one scenario in progress: what it started and what it measured so far.
type run struct {
	cfg   Config
	res   *Result
	say   func(format string, args ...any)
	cp    *testenv.ControlPlane
	moto  *testenv.Moto
	proxy *kubeProxy
	env   []string
	// direct reaches the API server without the proxy and without a client-side limit:
	// the harness's own requests are not what is measured.
	direct *rest.Config
	kube   client.Client
	sm     *secretsmanager.Client
	// queue is the change feed's SQS queue URL (Config.Feed).
	queue string
	// op is the operator running now.
	op *operator
	// stops are undone in reverse order when the run ends.
	stops []func()
}

// Run runs one scenario from a fresh control plane and moto, and stops everything it
// started before returning.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg.Defaults()
	r := &run{cfg: cfg, res: &Result{Config: cfg, Started: time.Now(), LoadBefore: loadAverage()}}
	r.say = func(format string, args ...any) {
		_, _ = fmt.Fprintf(cfg.Progress, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	defer r.stop()
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	if err := r.seed(ctx); err != nil {
		return nil, err
	}
	phases := []struct {
		on bool
		do func(context.Context) error
	}{
		{r.cfg.Floor, r.floors}, {true, r.coldStart}, {r.cfg.SteadyCycles > 0, r.steady}, {r.cfg.Rotation, r.rotation},
		{r.cfg.WarmRestart, r.warmRestart}, {r.cfg.WarmRestart && r.cfg.SteadyCycles > 0, r.afterRestart},
		{r.cfg.Sharded > 1, r.sharded},
	}
	for _, phase := range phases {
		if !phase.on {
			continue
		}
		if err := phase.do(ctx); err != nil {
			return nil, err
		}
	}
	r.notePeak()
	r.res.LoadAfter = loadAverage()
	r.res.Config = r.cfg
	return r.res, nil
}

func (r *run) stop() {
	for i := len(r.stops) - 1; i >= 0; i-- {
		r.stops[i]()
	}
}

// start builds the operator if needed and starts the control plane, moto and the proxy.
func (r *run) start(ctx context.Context) error {
	cfg := &r.cfg
	if cfg.WorkDir == "" {
		dir, err := os.MkdirTemp("", "ferrybench")
		if err != nil {
			return err
		}
		r.stops = append(r.stops, func() { _ = os.RemoveAll(dir) })
		cfg.WorkDir = dir
	}
	if strings.Contains(cfg.Operator, "{ferry}") {
		bin, err := ferryBinary(cfg.FerryBinary, cfg.WorkDir, r.say)
		if err != nil {
			return err
		}
		cfg.FerryBinary = bin
		if fi, err := os.Stat(bin); err == nil {
			r.res.BinarySize = fi.Size()
		}
	}
	addr, err := testenv.FreeAddr()
	if err != nil {
		return err
	}
	cfg.MetricsAddr = addr
	r.res.Command = cfg.expand(cfg.Operator)
	if cfg.WarmRestart && !strings.Contains(cfg.Operator, "{metrics}") {
		return errors.New("the warm restart reads the operator's metrics: put {metrics} in -operator as its metrics listen address")
	}

	r.say("starting kube-apiserver, etcd and moto")
	if r.cp, err = testenv.StartControlPlane(); err != nil {
		return err
	}
	r.stops = append(r.stops, func() { _ = r.cp.Stop() })
	return r.startServers()
}

// startServers starts moto and the counting proxy and writes the operator's kubeconfig.
func (r *run) startServers() error {
	var err error
	if r.moto, err = testenv.StartMoto(); err != nil {
		return err
	}
	r.stops = append(r.stops, func() { _ = r.moto.Stop() })
	if r.proxy, err = startKubeProxy(r.cp.Config); err != nil {
		return err
	}
	r.stops = append(r.stops, r.proxy.Stop)
	kubeconfig := filepath.Join(r.cfg.WorkDir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, r.proxy.URL, r.proxy.CAData); err != nil {
		return err
	}
	r.env = []string{"KUBECONFIG=" + kubeconfig, "AWS_ENDPOINT_URL=" + r.moto.Endpoint, "AWS_REGION=" + region,
		"AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "POD_NAMESPACE=ferry-system"}
	r.direct = rest.CopyConfig(r.cp.Config)
	r.direct.QPS = -1
	if r.kube, err = client.New(r.direct, client.Options{Scheme: scheme()}); err != nil {
		return err
	}
	r.sm = secretsManagerClient(r.moto.Endpoint)
	return nil
}

// seed creates the remote keys and the store, runs the operator once until the store is
// Ready (a first install, as before any restart), and creates the ExternalSecrets.
func (r *run) seed(ctx context.Context) error {
	cfg := &r.cfg
	r.say("seeding %d remote keys and the ClusterSecretStore", cfg.K)
	if err := seedKeys(ctx, r.sm, cfg.K); err != nil {
		return err
	}
	if cfg.Feed {
		queue, err := createQueue(ctx, r.moto.Endpoint)
		if err != nil {
			return err
		}
		r.queue = queue
	}
	if err := seedStore(ctx, r.kube, cfg, r.queue); err != nil {
		return err
	}
	r.say("first operator run: validating the store")
	idle, err := validateStore(ctx, r.kube, r.res.Command, r.env, filepath.Join(cfg.WorkDir, "operator-first.log"))
	if err != nil {
		return err
	}
	r.res.IdleMemory = idle
	r.say("creating %d ExternalSecrets in %d namespaces", cfg.N, cfg.Namespaces)
	if err := seedExternalSecrets(ctx, r.kube, cfg); err != nil {
		return err
	}
	// The cold start is a start over objects that exist, as after an upgrade or a node drain:
	// none younger than a second, the resolution of creationTimestamp, within which a first
	// sync cannot tell a cached value from one read before the object existed and reads the
	// provider itself (maxCacheAge in the ExternalSecret controller). The floors, when they
	// run, take longer than that anyway.
	defer func(seeded time.Time) { _ = sleep(ctx, time.Until(seeded.Add(time.Second))) }(time.Now())
	if cfg.Unrelated > 0 {
		r.say("creating %d unrelated Secrets of %d bytes", cfg.Unrelated, cfg.UnrelatedSize)
		if err := seedUnrelated(ctx, r.kube, cfg.Unrelated, cfg.UnrelatedSize); err != nil {
			return err
		}
	}
	if cfg.Workloads > 0 {
		r.say("creating %d Deployments that restart on their Secret's changes", cfg.Workloads)
		if err := seedWorkloads(ctx, r.kube, cfg); err != nil {
			return err
		}
	}
	return nil
}

// floors measures the two floors, each followed by the deletion of what it created.
func (r *run) floors(ctx context.Context) error {
	cfg := &r.cfg
	measure := func(name, phase string, f func(context.Context, *rest.Config, *Config, func()) (time.Duration, func() error, error)) (time.Duration, map[string]time.Duration, error) {
		r.say("%s (qps %g, burst %d, %d workers)", name, cfg.QPS, cfg.Burst, cfg.Concurrency)
		var before map[string]time.Duration
		var profiles *profiler
		// Through the counting proxy, as the operator's requests go: the proxy's hop and CPU
		// are then in both the floor and the cold start. The API server's profile of the floor,
		// to set beside the cold start's, starts with its clock (after what it sets up).
		took, cleanup, err := f(ctx, r.proxy.Config(), cfg, func() {
			before = cpuTimes(0)
			profiles = startProfiles(ctx, cfg.ProfileDir, phase, map[string]endpoint{"apiserver": {r.proxy.URL, r.proxy.Client()}})
		})
		if profiles != nil {
			profiles.stop()
		}
		if err != nil {
			return 0, nil, err
		}
		used := cpuSince(before, cpuTimes(0))
		r.say("%s: %s", name, took.Round(time.Millisecond))
		return took, used, cleanup()
	}
	var err error
	r.res.Floor, r.res.FloorCPU, err = measure(fmt.Sprintf("floor: a bare client creates %d Secrets", cfg.N), "floor", floor)
	if err != nil {
		return err
	}
	r.res.FirstSyncFloor, r.res.FirstSyncFloorCPU, err = measure(
		fmt.Sprintf("first-sync floor: a bare client creates %d Secrets, patches %d statuses, records %d events", cfg.N, cfg.N, cfg.N), "first-sync-floor", firstSyncFloor)
	return err
}

// startOperator starts the operator under test with its log in the work directory; the
// run stops it at the end unless a phase stops it first.
func (r *run) startOperator(logName string) (*operator, error) {
	op, err := startOperator(r.res.Command, r.env, filepath.Join(r.cfg.WorkDir, logName))
	if err != nil {
		return nil, err
	}
	r.op = op
	r.stops = append(r.stops, op.stop)
	return op, nil
}

// resetCounters starts counting a phase; the snapshot taken at its end is relative to it.
func (r *run) resetCounters() map[string]time.Duration {
	r.moto.ResetCalls()
	r.proxy.Reset()
	pid := 0
	if r.op != nil {
		pid = r.op.pid()
	}
	return cpuTimes(pid)
}

// coldStart starts the operator and waits until every object is Ready.
func (r *run) coldStart(ctx context.Context) error {
	cfg, res := &r.cfg, r.res
	cpuBefore := r.resetCounters()
	ready, err := newReadiness(r.direct)
	if err != nil {
		return err
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	r.say("cold start: %s", res.Command)
	op, err := r.startOperator("operator.log")
	if err != nil {
		return err
	}
	ready.start(watchCtx, op.started)
	profiles := startProfiles(ctx, cfg.ProfileDir, "cold", map[string]endpoint{"apiserver": {r.proxy.URL, r.proxy.Client()},
		"operator": {cfg.OperatorPprof, http.DefaultClient}})
	if err := waitAllReady(ctx, op, ready, cfg.N, cfg.ColdTimeout, r.say); err != nil {
		profiles.stop()
		return withLog(err, op.log.Name())
	}
	profiles.stop()
	heapProfile(ctx, cfg.ProfileDir, "operator-cold", endpoint{cfg.OperatorPprof, http.DefaultClient})
	times := ready.times()
	// Events are written after the syncs they record: count them too.
	if err := r.proxy.waitQuiet(ctx, time.Second, 15*time.Second); err != nil {
		return err
	}
	res.Cold = snapshot(times[len(times)-1], r.moto, r.proxy, op, cpuBefore)
	if res.ColdReconciles, err = reconciles(ctx, "http://"+cfg.MetricsAddr+"/metrics"); err != nil {
		return err
	}
	res.P50, res.P99 = percentile(times, 50), percentile(times, 99)
	res.ColdMemory, _ = op.memory()
	res.ColdPeakRSS = res.ColdMemory.Peak
	r.say("cold start: all %d Ready after %s", cfg.N, res.Cold.Took.Round(time.Millisecond))
	return nil
}

// warmSettle is how long the API requests must stay still after the last object was
// re-verified before the warm restart's counting ends: a write that follows a reconcile's
// report (a status patch) is counted too.
const warmSettle = 2 * time.Second

// warmRestart stops the operator with everything in sync, starts it again, and waits
// until the new process reports every object Ready on its metrics endpoint.
func (r *run) warmRestart(ctx context.Context) error {
	cfg, res := &r.cfg, r.res
	r.notePeak()
	// In sync: no write of the previous phase still on its way.
	if err := r.proxy.waitQuiet(ctx, time.Second, 15*time.Second); err != nil {
		return err
	}
	r.say("warm restart: stopping the operator")
	r.op.stop()
	cpuBefore := r.resetCounters()
	op, err := r.startOperator("operator-warm.log")
	if err != nil {
		return err
	}
	times, err := waitVerified(ctx, op, "http://"+cfg.MetricsAddr+"/metrics", cfg.N, cfg.ColdTimeout, r.say)
	if err != nil {
		return withLog(fmt.Errorf("warm restart: %w", err), op.log.Name())
	}
	if err := r.proxy.waitQuiet(ctx, warmSettle, 15*time.Second); err != nil {
		return err
	}
	res.Warm = snapshot(times[len(times)-1], r.moto, r.proxy, op, cpuBefore)
	res.WarmP50, res.WarmP99 = percentile(times, 50), percentile(times, 99)
	res.WarmMemory, _ = op.memory()
	r.say("warm restart: all %d re-verified after %s", cfg.N, res.Warm.Took.Round(time.Millisecond))
	return nil
}

// steady watches SteadyCycles refresh intervals with nothing changed.
func (r *run) steady(ctx context.Context) error {
	cpuBefore := r.resetCounters()
	window := time.Duration(r.cfg.SteadyCycles) * r.cfg.Interval
	r.say("steady state: watching %s (%d refresh cycles)", window, r.cfg.SteadyCycles)
	if err := sleepWhileRunning(ctx, r.op, window); err != nil {
		return withLog(err, r.op.log.Name())
	}
	r.res.Steady, r.res.Cycles = snapshot(window, r.moto, r.proxy, r.op, cpuBefore), r.cfg.SteadyCycles
	return nil
}

// afterRestart watches the first refresh interval after the warm restart: a restart that
// put every object on the same second, or that forgot what the store's listing tells, shows
// here as more calls than a steady cycle's.
func (r *run) afterRestart(ctx context.Context) error {
	cpuBefore := r.resetCounters()
	r.say("after the restart: watching one refresh interval (%s)", r.cfg.Interval)
	if err := sleepWhileRunning(ctx, r.op, r.cfg.Interval); err != nil {
		return withLog(err, r.op.log.Name())
	}
	r.res.AfterRestart = snapshot(r.cfg.Interval, r.moto, r.proxy, r.op, cpuBefore)
	return nil
}

// rotation changes one remote value and waits until its Secrets hold it.
func (r *run) rotation(ctx context.Context) error {
	r.say("rotation: changing %s", remoteKey(0))
	// Counting starts after the harness's own write of the new value.
	var cpuBefore map[string]time.Duration
	written := func() { cpuBefore = r.resetCounters() }
	if r.queue != "" {
		arn, err := secretARN(ctx, r.sm, remoteKey(0))
		if err != nil {
			return err
		}
		// The harness's own SendMessage is made before counting starts; Ferry's long poll
		// returns it, and only then can Ferry act on it.
		written = func() {
			if err := sendChange(ctx, r.moto.Endpoint, r.queue, arn); err != nil {
				r.say("rotation: the change event was not sent: %v", err)
			}
			cpuBefore = r.resetCounters()
		}
	}
	arrivals, err := rotate(ctx, r.kube, r.sm, &r.cfg, r.op, written)
	if err != nil {
		return withLog(err, r.op.log.Name())
	}
	took := arrivals[len(arrivals)-1]
	// The status patches that only move refreshTime follow the Secrets (design 0005): count
	// what the rotation wrote until the API requests stop.
	if err := r.proxy.waitQuiet(ctx, warmSettle, 30*time.Second); err != nil {
		return err
	}
	r.res.Rotation, r.res.RotationSecrets = snapshot(took, r.moto, r.proxy, r.op, cpuBefore), len(arrivals)
	r.res.RotationP50, r.res.RotationP99 = percentile(arrivals, 50), percentile(arrivals, 99)
	r.say("rotation: %d Secrets hold the new value after %s (p50 %s, p99 %s)", len(arrivals), took.Round(time.Millisecond),
		r.res.RotationP50.Round(time.Millisecond), r.res.RotationP99.Round(time.Millisecond))
	return nil
}

// notePeak folds the running operator's peak resident memory into the run's.
func (r *run) notePeak() {
	if r.op == nil {
		return
	}
	if m, err := r.op.memory(); err == nil {
		r.res.PeakRSS = max(r.res.PeakRSS, m.Peak)
	}
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

// ferryBinary returns the operator binary a run starts: a copy, in dir, of bin (built from
// ./cmd/ferry when empty), written with plain writes as a container runtime unpacks an
// image. The file RSS of a running binary depends on how its file was written: the Go
// linker's output (written through a memory mapping) maps some 20 MiB more of it than the
// same bytes copied (bench/RESULTS.md, 2026-12-06 morning), and a pod runs the copy.
func ferryBinary(bin, dir string, say func(string, ...any)) (string, error) {
	if bin == "" {
		say("building ./cmd/ferry")
		built, err := buildFerry(dir)
		if err != nil {
			return "", err
		}
		bin = built
	}
	if err := os.MkdirAll(dir, 0o750); err != nil { // -workdir may name a directory to create
		return "", err
	}
	src, err := os.Open(bin) //nolint:gosec // the binary the user named
	if err != nil {
		return "", err
	}
	defer func() { _ = src.Close() }()
	run := filepath.Join(dir, "ferry-run")
	dst, err := os.OpenFile(run, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755) //nolint:gosec // an executable
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(struct{ io.Writer }{dst}, src); err != nil { // plain writes, no copy_file_range
		_ = dst.Close()
		return "", err
	}
	return run, dst.Close()
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
func writeKubeconfig(path, server string, caData []byte) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["bench"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caData}
	cfg.AuthInfos["bench"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["bench"] = &clientcmdapi.Context{Cluster: "bench", AuthInfo: "bench"}
	cfg.CurrentContext = "bench"
	return clientcmd.WriteToFile(*cfg, path)
}

// validateStore runs the operator until the ClusterSecretStore is Ready, then stops it,
// and returns the operator's memory at that point: an operator with one store and no
// ExternalSecret.
func validateStore(ctx context.Context, kube client.Client, command string, env []string, logPath string) (procMemory, error) {
	op, err := startOperator(command, env, logPath)
	if err != nil {
		return procMemory{}, err
	}
	defer op.stop()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		var store esv1.ClusterSecretStore
		if err := kube.Get(ctx, client.ObjectKey{Name: storeName}, &store); err != nil {
			return procMemory{}, err
		}
		for _, c := range store.Status.Conditions {
			if c.Type == esv1.SecretStoreReady && c.Status == metav1.ConditionTrue {
				return op.memory()
			}
		}
		if done, how := op.exited(); done {
			return procMemory{}, withLog(fmt.Errorf("the operator exited (%s) before the store was Ready", how), logPath)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return procMemory{}, err
		}
	}
	return procMemory{}, withLog(errors.New("the ClusterSecretStore was not Ready after 2m"), logPath)
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
// reads it holds it. It returns when each did, from written's call, sorted. The wait is
// bounded by three refresh intervals.
func rotate(ctx context.Context, kube client.Client, sm *secretsmanager.Client, cfg *Config, op *operator, written func()) ([]time.Duration, error) {
	var targets []client.ObjectKey
	for i := 0; i < cfg.N; i += cfg.K {
		targets = append(targets, client.ObjectKey{Namespace: cfg.namespaceOf(i), Name: esName(i)})
	}
	value, err := rotateKey(ctx, sm, 0, 2)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	written()
	deadline := start.Add(3 * cfg.Interval)
	pending := targets
	arrivals := make([]time.Duration, 0, len(targets))
	for len(pending) > 0 {
		// One list per namespace, not a read per Secret: a thousand reads would take longer
		// than the change, and blur the times.
		held, err := holding(ctx, kube, pending, value)
		if err != nil {
			return nil, err
		}
		var still []client.ObjectKey
		for _, key := range pending {
			if !held[key] {
				still = append(still, key)
				continue
			}
			arrivals = append(arrivals, time.Since(start))
		}
		pending = still
		if len(pending) == 0 {
			break
		}
		if done, how := op.exited(); done {
			return nil, fmt.Errorf("the operator exited (%s) during the rotation", how)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("rotation: %d of %d Secrets still hold the old value after %s", len(pending), len(targets), 3*cfg.Interval)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
	slices.Sort(arrivals)
	return arrivals, nil
}

// holding returns which of keys name Secrets whose secretKey holds value.
func holding(ctx context.Context, kube client.Client, keys []client.ObjectKey, value string) (map[client.ObjectKey]bool, error) {
	namespaces := map[string]bool{}
	for _, k := range keys {
		namespaces[k.Namespace] = true
	}
	held := map[client.ObjectKey]bool{}
	for ns := range namespaces {
		var list corev1.SecretList
		if err := kube.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return nil, fmt.Errorf("listing Secrets in %s: %w", ns, err)
		}
		for i := range list.Items {
			if string(list.Items[i].Data[secretKey]) == value {
				held[client.ObjectKeyFromObject(&list.Items[i])] = true
			}
		}
	}
	return held, nil
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
