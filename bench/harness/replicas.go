package harness

import (
	"bufio"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/testenv"
)

// replicaSet runs operator replicas with leader election, as a Deployment of two would:
// each with its own metrics address, so the harness can tell which one leads and read its
// goroutines; a replica that is killed is replaced by a new one at once.
type replicaSet struct {
	command string // with {metrics} and {pprof} still in it
	env     []string
	dir     string

	mu      sync.Mutex
	live    []*replica
	started int
}

// replica is one operator process, its metrics address and, when its command line holds
// {pprof}, the base URL of its /debug/pprof.
type replica struct {
	name    string
	op      *operator
	metrics string
	pprof   string
}

// replicaSample is what one replica reported at one moment.
type replicaSample struct {
	Name string
	// Up: the replica answered on its metrics endpoint (it is not starting or gone).
	Up         bool
	Leader     bool
	RSS        int64
	Goroutines int
}

// start runs one more replica.
func (s *replicaSet) start() (*replica, error) {
	addr, err := testenv.FreeAddr()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.started++
	name := fmt.Sprintf("replica-%02d", s.started)
	s.mu.Unlock()
	command := strings.ReplaceAll(s.command, "{metrics}", addr)
	r := &replica{name: name, metrics: "http://" + addr + "/metrics"}
	if strings.Contains(command, "{pprof}") {
		pprofAddr, err := testenv.FreeAddr()
		if err != nil {
			return nil, err
		}
		command = strings.ReplaceAll(command, "{pprof}", pprofAddr)
		r.pprof = "http://" + pprofAddr
	}
	op, err := startOperator(command, s.env, filepath.Join(s.dir, name+".log"))
	if err != nil {
		return nil, err
	}
	r.op = op
	s.mu.Lock()
	s.live = append(s.live, r)
	s.mu.Unlock()
	return r, nil
}

// replicas returns the replicas started and not killed.
func (s *replicaSet) replicas() []*replica {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*replica(nil), s.live...)
}

// stopAll stops every live replica.
func (s *replicaSet) stopAll() {
	for _, r := range s.replicas() {
		r.op.stop()
	}
}

// remove forgets a replica that is gone.
func (s *replicaSet) remove(gone *replica) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = slices.DeleteFunc(s.live, func(r *replica) bool { return r == gone })
}

// leader waits until exactly one live replica reports holding the Lease, and returns it.
func (s *replicaSet) leader(ctx context.Context, timeout time.Duration) (*replica, error) {
	deadline := time.Now().Add(timeout)
	for {
		var leaders []*replica
		for _, r := range s.replicas() {
			if sample, err := r.sample(ctx); err == nil && sample.Leader {
				leaders = append(leaders, r)
			}
		}
		if len(leaders) == 1 {
			return leaders[0], nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d replicas report leading after %s, want one", len(leaders), timeout)
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// killLeader kills the leader with SIGKILL, as a node failure or the OOM killer would, and
// starts a replacement, as the Deployment's ReplicaSet would.
func (s *replicaSet) killLeader(ctx context.Context, timeout time.Duration) (string, error) {
	leader, err := s.leader(ctx, timeout)
	if err != nil {
		return "", err
	}
	if err := leader.op.cmd.Process.Kill(); err != nil {
		return "", fmt.Errorf("kill -9 %s: %w", leader.name, err)
	}
	<-leader.op.done
	_ = leader.op.log.Close()
	s.remove(leader)
	if _, err := s.start(); err != nil {
		return "", err
	}
	return leader.name, nil
}

// sample reads the replica's resident memory from /proc and its goroutines and leadership
// from its metrics.
func (r *replica) sample(ctx context.Context) (replicaSample, error) {
	out := replicaSample{Name: r.name}
	if m, err := r.op.memory(); err == nil {
		out.RSS = m.Current
	}
	body, err := getMetrics(ctx, r.metrics)
	if err != nil {
		return out, err
	}
	defer func() { _ = body.Close() }()
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "go_goroutines "):
			f, _ := strconv.ParseFloat(strings.TrimPrefix(line, "go_goroutines "), 64)
			out.Goroutines = int(f)
		case strings.HasPrefix(line, "leader_election_master_status{"):
			out.Leader = strings.HasSuffix(line, " 1")
		}
	}
	out.Up = sc.Err() == nil
	return out, sc.Err()
}
