package harness

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// Schedule is the soak's fault schedule, in time from the start of the faults.
type Schedule struct {
	// Duration is how long faults are made; then the soak settles and checks.
	Duration time.Duration
	// RotateEvery, RotatePercent of the K remote values (at least one) get a new value.
	RotateEvery   time.Duration
	RotatePercent float64
	// KillEvery, the leader is killed with SIGKILL and a new replica started.
	KillEvery time.Duration
	// APIRestartEvery, from APIRestartAt on, kube-apiserver is stopped (killed if it does
	// not drain within three seconds) and started again; etcd keeps running.
	APIRestartAt, APIRestartEvery time.Duration
	// FaultEvery, the provider misbehaves for FaultFor, each time the next of: 429 answers,
	// 5xx answers, ThrottlingException above two requests a second, requests that hang for
	// HangFor before they are answered.
	FaultEvery, FaultFor, HangFor time.Duration
	// SampleEvery, each replica's memory and goroutines are recorded.
	SampleEvery time.Duration
}

// HourSchedule is the one-hour soak of `make soak`.
func HourSchedule() Schedule {
	return Schedule{Duration: time.Hour, RotateEvery: time.Minute, RotatePercent: 1, KillEvery: 10 * time.Minute,
		APIRestartAt: 5 * time.Minute, APIRestartEvery: 10 * time.Minute,
		FaultEvery: 2 * time.Minute, FaultFor: 30 * time.Second, HangFor: 20 * time.Second, SampleEvery: 30 * time.Second}
}

// ShortSchedule is the same schedule in two minutes, for `make test`.
func ShortSchedule() Schedule {
	return Schedule{Duration: 2 * time.Minute, RotateEvery: 10 * time.Second, RotatePercent: 1, KillEvery: 40 * time.Second,
		APIRestartAt: 20 * time.Second, APIRestartEvery: time.Minute,
		FaultEvery: 20 * time.Second, FaultFor: 8 * time.Second, HangFor: 5 * time.Second, SampleEvery: 5 * time.Second}
}

// SoakConfig is a soak: Config's N ExternalSecrets over K keys and its Workloads
// Deployments, two replicas with leader election, and the fault schedule.
type SoakConfig struct {
	Config
	Schedule Schedule
	// LeaderArgs are added to the operator's command line: leader election on, and its
	// timings.
	LeaderArgs string
}

// DefaultLeaderArgs elect a leader with Ferry's default timings.
const DefaultLeaderArgs = "--leader-elect=true --leader-election-id=ferry-soak"

// SoakOperator is DefaultOperator with leader election left to LeaderArgs.
const SoakOperator = "{ferry} --operator-namespace=ferry-system --metrics-bind-address={metrics} " +
	"--health-probe-bind-address=0 --webhook=false --client-qps={qps} --client-burst={burst} --concurrent={concurrent}"

// SoakResult is what a soak found.
type SoakResult struct {
	Config     SoakConfig
	Command    string
	Started    time.Time
	LoadBefore string
	LoadAfter  string
	Values     soakValues
	// LostAtEnd and WrongAtEnd are the Secrets missing, or not holding their key's last
	// value, once the faults stopped and every rotation had time to arrive.
	LostAtEnd, WrongAtEnd []string
	// DoubleRestarts lists workloads restarted more times than their Secret's key changed;
	// NotRestarted those whose Secret changed and that were never restarted.
	DoubleRestarts, NotRestarted []string
	Restarts                     int
	Kills, APIRestarts, Faults   int
	// Exits counts replicas that stopped on their own (and were replaced).
	Exits   int
	Samples []soakSample
	// Log is what happened when, one line each.
	Log []string
}

// soakSample is every replica's memory and goroutines at one moment.
type soakSample struct {
	At       time.Duration
	Replicas []replicaSample
}

// soak is a soak in progress.
type soak struct {
	*run
	sc       SoakConfig
	res      *SoakResult
	fault    *testenv.FaultProxy
	replicas *replicaSet
	values   *valueWatch
	gens     []int // current generation of each key
	nextKey  int   // the next key to rotate
	// baseline is each Deployment's generation once Ferry had recorded it.
	baseline map[string]int64
	began    time.Time
	mu       sync.Mutex // guards res.Samples, res.Log and the counters of res
	rotating sync.Mutex // one rotation at a time: gens, nextKey
}

// RunSoak runs a soak from a fresh control plane whose kube-apiserver can be restarted,
// moto behind a fault proxy, and two operator replicas.
func RunSoak(ctx context.Context, sc SoakConfig) (*SoakResult, error) {
	if sc.Operator == "" {
		sc.Operator = SoakOperator
	}
	if sc.LeaderArgs == "" {
		sc.LeaderArgs = DefaultLeaderArgs
	}
	sc.Operator += " " + sc.LeaderArgs
	sc.Floor, sc.WarmRestart, sc.SteadyCycles, sc.Rotation = false, false, 0, false
	sc.Defaults()
	s := &soak{run: &run{cfg: sc.Config, res: &Result{}}, sc: sc,
		res: &SoakResult{Config: sc, Started: time.Now(), LoadBefore: loadAverage()}}
	s.say = func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		_, _ = fmt.Fprintf(sc.Progress, "%s  %s\n", time.Now().Format("15:04:05"), line)
		if !s.began.IsZero() {
			s.mu.Lock()
			s.res.Log = append(s.res.Log, fmt.Sprintf("%s %s", time.Since(s.began).Round(time.Second), line))
			s.mu.Unlock()
		}
	}
	defer s.stop()
	if err := s.setUp(ctx); err != nil {
		return nil, err
	}
	if err := s.faults(ctx); err != nil {
		return nil, err
	}
	if err := s.settleAndCheck(ctx); err != nil {
		return nil, err
	}
	s.res.LoadAfter = loadAverage()
	return s.res, nil
}

// setUp starts everything, syncs every object with one replica, creates the workloads, and
// starts the second replica and the watch of the values.
func (s *soak) setUp(ctx context.Context) error {
	cfg := &s.cfg
	if err := s.prepareBinary(); err != nil {
		return err
	}
	s.res.Command = cfg.expand(cfg.Operator)
	certDir, err := os.MkdirTemp("", "ferrysoak-certs")
	if err != nil {
		return err
	}
	s.stops = append(s.stops, func() { _ = os.RemoveAll(certDir) })
	s.say("starting kube-apiserver (restartable), etcd, moto and the fault proxy")
	if s.cp, err = testenv.StartRestartableControlPlane(certDir); err != nil {
		return err
	}
	s.stops = append(s.stops, func() { _ = s.cp.Stop() })
	// envtest's 20 s is too short for a restart on a loaded machine.
	s.cp.Env.ControlPlane.APIServer.StartTimeout = 2 * time.Minute
	if err := s.startServers(); err != nil {
		return err
	}
	if s.fault, err = testenv.StartFaultProxy(s.moto.Endpoint); err != nil {
		return err
	}
	s.stops = append(s.stops, s.fault.Stop)
	for i, kv := range s.env {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			s.env[i] = "AWS_ENDPOINT_URL=" + s.fault.URL
		}
	}
	s.replicas = &replicaSet{command: s.res.Command, env: s.env, dir: cfg.WorkDir}
	s.stops = append(s.stops, s.replicas.stopAll)
	if err := s.seedAndSync(ctx); err != nil {
		return err
	}
	if err := s.createWorkloads(ctx); err != nil {
		return err
	}
	if _, err := s.replicas.start(); err != nil {
		return err
	}
	return s.watchValues(ctx)
}

// prepareBinary builds ferry when the command needs it and no binary was given.
func (s *soak) prepareBinary() error {
	cfg := &s.cfg
	if cfg.WorkDir == "" {
		dir, err := os.MkdirTemp("", "ferrysoak")
		if err != nil {
			return err
		}
		s.stops = append(s.stops, func() { _ = os.RemoveAll(dir) })
		cfg.WorkDir = dir
	}
	if strings.Contains(cfg.Operator, "{ferry}") {
		bin, err := ferryBinary(cfg.FerryBinary, cfg.WorkDir, s.say)
		if err != nil {
			return err
		}
		cfg.FerryBinary = bin
	}
	// Kept as a placeholder: each replica gets an address of its own.
	cfg.MetricsAddr = "{metrics}"
	return nil
}

// seedAndSync creates the keys, the store and the ExternalSecrets, and waits until the
// first replica has them all Ready.
func (s *soak) seedAndSync(ctx context.Context) error {
	cfg := &s.cfg
	s.say("seeding %d remote keys, the store and %d ExternalSecrets", cfg.K, cfg.N)
	if err := seedKeys(ctx, s.sm, cfg.K); err != nil {
		return err
	}
	s.gens = make([]int, cfg.K)
	for k := range s.gens {
		s.gens[k] = 1
	}
	if err := seedStore(ctx, s.kube, cfg, ""); err != nil {
		return err
	}
	if err := seedExternalSecrets(ctx, s.kube, cfg); err != nil {
		return err
	}
	ready, err := newReadiness(s.direct)
	if err != nil {
		return err
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	first, err := s.replicas.start()
	if err != nil {
		return err
	}
	ready.start(watchCtx, first.op.started)
	if err := waitAllReady(ctx, first.op, ready, cfg.N, cfg.ColdTimeout, s.say); err != nil {
		return withLog(err, first.op.log.Name())
	}
	s.say("all %d ExternalSecrets Ready", cfg.N)
	return nil
}

// createWorkloads creates the Deployments and waits until Ferry has recorded the digest of
// each one's Secret (which it does without restarting it).
func (s *soak) createWorkloads(ctx context.Context) error {
	cfg := &s.cfg
	s.say("creating %d Deployments that restart on their Secret's changes", cfg.Workloads)
	if err := seedWorkloads(ctx, s.kube, cfg); err != nil {
		return err
	}
	deadline := time.Now().Add(cfg.ColdTimeout)
	for {
		recorded, err := s.recordedWorkloads(ctx)
		if err != nil {
			return err
		}
		if len(recorded) == cfg.Workloads {
			s.baseline = recorded
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d Deployments recorded after %s", len(recorded), cfg.Workloads, cfg.ColdTimeout)
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
}

// recordedWorkloads returns the generation of each Deployment on which Ferry has recorded
// its Secret's digest.
func (s *soak) recordedWorkloads(ctx context.Context) (map[string]int64, error) {
	var list appsv1.DeploymentList
	if err := s.kube.List(ctx, &list); err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, d := range list.Items {
		if strings.Contains(d.Annotations[rollout.AnnotationLastDigests], "secret/es-") {
			out[d.Name] = d.Generation
		}
	}
	return out, nil
}

// watchValues starts the watch of the values and waits until it holds every Secret.
func (s *soak) watchValues(ctx context.Context) error {
	wc, err := client.NewWithWatch(s.direct, client.Options{Scheme: scheme()})
	if err != nil {
		return err
	}
	s.values = newValueWatch(wc, &s.cfg)
	watchCtx, stopWatch := context.WithCancel(ctx)
	s.stops = append(s.stops, stopWatch)
	go s.values.run(watchCtx)
	for deadline := time.Now().Add(time.Minute); ; {
		s.values.mu.Lock()
		held := len(s.values.held)
		s.values.mu.Unlock()
		if held == s.cfg.N {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the value watch holds %d of %d Secrets after a minute", held, s.cfg.N)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return err
		}
	}
}
