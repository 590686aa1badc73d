package harness

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ferryhq/ferry/internal/testenv"
)

// errTooManyRequests is a 429 answer, as API gateways in front of providers give it.
var errTooManyRequests = &testenv.AWSError{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException", Message: "Too many requests"}

// soakEvent is one step of the schedule.
type soakEvent struct {
	at   time.Duration
	name string
	do   func(context.Context) error
}

// events lays the schedule out in time order.
func (s *soak) events() []soakEvent {
	sch := s.sc.Schedule
	var out []soakEvent
	every := func(first, period time.Duration, name string, do func(context.Context) error) {
		if period <= 0 {
			return
		}
		for at := first; at < sch.Duration; at += period {
			out = append(out, soakEvent{at: at, name: name, do: do})
		}
	}
	every(sch.RotateEvery, sch.RotateEvery, "rotate", s.rotate)
	every(sch.KillEvery, sch.KillEvery, "kill the leader", s.killLeader)
	every(sch.APIRestartAt, sch.APIRestartEvery, "restart kube-apiserver", s.restartAPIServer)
	kind := 0
	for at := sch.FaultEvery / 2; sch.FaultEvery > 0 && at < sch.Duration; at += sch.FaultEvery {
		f, name := s.providerFault(kind)
		kind++
		out = append(out, soakEvent{at: at, name: "provider: " + name, do: func(context.Context) error {
			s.fault.Set(f)
			s.count(&s.res.Faults)
			return nil
		}}, soakEvent{at: at + sch.FaultFor, name: "provider: normal service", do: func(context.Context) error {
			s.fault.Set(testenv.Fault{})
			return nil
		}})
	}
	slices.SortStableFunc(out, func(a, b soakEvent) int { return int(a.at - b.at) })
	return out
}

// providerFault is the kind-th provider fault of the cycle.
func (s *soak) providerFault(kind int) (testenv.Fault, string) {
	switch kind % 4 {
	case 0:
		return testenv.Fault{Error: errTooManyRequests}, "429 to every request"
	case 1:
		return testenv.Fault{Error: testenv.ErrUnavailable}, "503 to every request"
	case 2:
		return testenv.Fault{RatePerSecond: 2}, "ThrottlingException above 2 requests a second"
	default:
		return testenv.Fault{Latency: s.sc.Schedule.HangFor}, fmt.Sprintf("every request hangs for %s", s.sc.Schedule.HangFor)
	}
}

// faults runs the schedule, with the replicas' memory and goroutines sampled meanwhile.
// Each step starts at its time in a goroutine of its own, so that a slow one (an API server
// that takes half a minute to start) does not hold the others back. A replica that exits on
// its own (as controller-runtime does when it loses the Lease during an API server outage)
// is replaced, as Kubernetes would, and logged.
func (s *soak) faults(ctx context.Context) error {
	s.began = time.Now()
	s.say("faults begin: %s", s.sc.Schedule.Duration)
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var steps sync.WaitGroup
	steps.Go(func() { s.sample(sampleCtx) })
	defer func() { stopSampling(); steps.Wait() }()
	for _, ev := range s.events() {
		for time.Since(s.began) < ev.at {
			if err := s.replaceExited(); err != nil {
				return err
			}
			if err := sleep(ctx, min(time.Second, ev.at-time.Since(s.began))); err != nil {
				return err
			}
		}
		steps.Go(func() {
			if err := ev.do(ctx); err != nil {
				s.say("%s: %v", ev.name, err)
				return
			}
			s.say("%s", ev.name)
		})
	}
	for time.Since(s.began) < s.sc.Schedule.Duration {
		if err := s.replaceExited(); err != nil {
			return err
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
	stopSampling()
	steps.Wait()
	s.fault.Set(testenv.Fault{})
	return s.replaceExited()
}

// replaceExited starts a replica for each one that exited on its own.
func (s *soak) replaceExited() error {
	for _, r := range s.replicas.replicas() {
		if done, how := r.op.exited(); done {
			s.replicas.remove(r)
			s.count(&s.res.Exits)
			s.say("%s exited on its own (%s): starting a replacement", r.name, how)
			if _, err := s.replicas.start(); err != nil {
				return err
			}
		}
	}
	return nil
}

// count adds one to a counter of the result.
func (s *soak) count(counter *int) {
	s.mu.Lock()
	*counter++
	s.mu.Unlock()
}

// rotate gives RotatePercent of the keys (at least one) a new value, the keys taken in turn.
func (s *soak) rotate(ctx context.Context) error {
	s.rotating.Lock()
	defer s.rotating.Unlock()
	k := s.cfg.K
	count := max(1, int(float64(k)*s.sc.Schedule.RotatePercent/100))
	for range count {
		key := s.nextKey % k
		s.nextKey++
		s.gens[key]++
		written := s.values.rotating(key, s.gens[key])
		if _, err := rotateKey(ctx, s.sm, key, s.gens[key]); err != nil {
			return err
		}
		written()
	}
	return nil
}

func (s *soak) killLeader(ctx context.Context) error {
	name, err := s.replicas.killLeader(ctx, 2*time.Minute)
	if err != nil {
		return err
	}
	s.count(&s.res.Kills)
	s.say("killed %s with SIGKILL; a new replica started", name)
	return nil
}

func (s *soak) restartAPIServer(context.Context) error {
	stopped := time.Now()
	var err error
	for range 3 {
		if err = s.cp.StopAPIServer(); err != nil {
			return err
		}
		// envtest stops a server that does not answer within its start timeout: try again.
		if err = s.cp.StartAPIServer(); err == nil {
			break
		}
		s.say("kube-apiserver did not start (%v): starting it again", err)
	}
	if err != nil {
		return err
	}
	s.count(&s.res.APIRestarts)
	s.say("kube-apiserver down for %s", time.Since(stopped).Round(100*time.Millisecond))
	return nil
}

// sample records every replica's memory and goroutines until ctx ends.
func (s *soak) sample(ctx context.Context) {
	for ctx.Err() == nil {
		at := time.Since(s.began)
		var samples []replicaSample
		for _, r := range s.replicas.replicas() {
			sample, _ := r.sample(ctx)
			samples = append(samples, sample)
		}
		s.mu.Lock()
		s.res.Samples = append(s.res.Samples, soakSample{At: at, Replicas: samples})
		s.mu.Unlock()
		_ = sleep(ctx, s.sc.Schedule.SampleEvery)
	}
}

// settleAndCheck waits, with the faults stopped, until every rotation has reached its
// Secrets and every workload whose Secret changed was restarted (at most three refresh
// intervals and two minutes), then checks the Secrets and the workloads.
func (s *soak) settleAndCheck(ctx context.Context) error {
	s.say("settling: waiting for %d rotations to arrive", s.values.pending())
	deadline := time.Now().Add(3*s.cfg.Interval + 2*time.Minute)
	for time.Now().Before(deadline) {
		if err := s.replaceExited(); err != nil {
			return err
		}
		notRestarted, err := s.checkWorkloads(ctx)
		if err != nil {
			return err
		}
		if s.values.pending() == 0 && notRestarted == 0 {
			break
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
	}
	s.res.Values = s.values.result()
	return s.checkSecrets(ctx)
}

// checkSecrets lists every Secret and compares it with its key's last value.
func (s *soak) checkSecrets(ctx context.Context) error {
	var list corev1.SecretList
	if err := s.kube.List(ctx, &list); err != nil {
		return err
	}
	byName := map[string]*corev1.Secret{}
	for i := range list.Items {
		byName[list.Items[i].Namespace+"/"+list.Items[i].Name] = &list.Items[i]
	}
	s.res.LostAtEnd, s.res.WrongAtEnd = nil, nil
	for i := range s.cfg.N {
		name := s.cfg.namespaceOf(i) + "/" + esName(i)
		secret, ok := byName[name]
		switch {
		case !ok:
			s.res.LostAtEnd = append(s.res.LostAtEnd, name)
		case string(secret.Data[secretKey]) != remoteValue(keyOf(i, s.cfg.K), s.gens[keyOf(i, s.cfg.K)]):
			s.res.WrongAtEnd = append(s.res.WrongAtEnd, name)
		}
	}
	return nil
}

// checkWorkloads counts each Deployment's restarts (its generation's growth: only Ferry
// changes its spec) against the changes of its Secret's key, and returns how many whose
// Secret changed were not restarted yet.
func (s *soak) checkWorkloads(ctx context.Context) (int, error) {
	var list appsv1.DeploymentList
	if err := s.kube.List(ctx, &list); err != nil {
		return 0, err
	}
	s.res.DoubleRestarts, s.res.NotRestarted, s.res.Restarts = nil, nil, 0
	for _, d := range list.Items {
		var j int
		if _, err := fmt.Sscanf(d.Name, "app-%05d", &j); err != nil || !strings.HasPrefix(d.Name, "app-") {
			continue
		}
		restarts := int(d.Generation - s.baseline[d.Name])
		changes := s.gens[keyOf(j, s.cfg.K)] - 1
		s.res.Restarts += restarts
		switch {
		case restarts > changes:
			s.res.DoubleRestarts = append(s.res.DoubleRestarts, fmt.Sprintf("%s/%s: %d restarts for %d changes", d.Namespace, d.Name, restarts, changes))
		case changes > 0 && restarts == 0:
			s.res.NotRestarted = append(s.res.NotRestarted, d.Namespace+"/"+d.Name)
		}
	}
	return len(s.res.NotRestarted), nil
}
