package harness

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultOperator runs the ferry binary built from this tree against the local
// environment. {ferry}, {qps}, {burst}, {concurrent} and {metrics} (a free loopback
// address for the metrics endpoint, which the warm restart reads) are filled in by the
// harness; so is {pprof}: -operator-pprof's address, or another free one for each replica
// of the sharded phase.
const DefaultOperator = "{ferry} --leader-elect=false --operator-namespace=ferry-system --metrics-bind-address={metrics} " +
	"--health-probe-bind-address=0 --webhook=false --client-qps={qps} --client-burst={burst} --concurrent={concurrent}"

// operator is the process under test.
type operator struct {
	cmd     *exec.Cmd
	log     *os.File
	started time.Time
	done    chan struct{} // closed when the process has exited
	waitErr error
}

// expand fills the placeholders of a command line but those in keep, which stay for the
// caller to fill.
func (cfg *Config) expand(command string, keep ...string) string {
	var pairs []string
	for _, p := range [][2]string{
		{"{ferry}", cfg.FerryBinary},
		{"{qps}", strconv.FormatFloat(cfg.QPS, 'f', -1, 64)},
		{"{burst}", strconv.Itoa(cfg.Burst)},
		{"{concurrent}", strconv.Itoa(cfg.Concurrency)},
		{"{metrics}", cfg.MetricsAddr},
		{"{pprof}", cfg.pprofAddr()},
	} {
		if !slices.Contains(keep, p[0]) {
			pairs = append(pairs, p[0], p[1])
		}
	}
	return strings.NewReplacer(pairs...).Replace(command)
}

// pprofAddr is the listen address of OperatorPprof, or "0" (pprof off) without it.
func (cfg *Config) pprofAddr() string {
	if cfg.OperatorPprof == "" {
		return "0"
	}
	return strings.TrimPrefix(cfg.OperatorPprof, "http://")
}

// startOperator runs command through sh with exec, so the process measured is the
// operator itself, with env added to the harness's environment. Its output goes to logPath.
func startOperator(command string, env []string, logPath string) (*operator, error) {
	log, err := os.Create(logPath) //nolint:gosec // the harness's own work directory
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", "exec "+command)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("starting the operator %q: %w", command, err)
	}
	o := &operator{cmd: cmd, log: log, started: time.Now(), done: make(chan struct{})}
	go func() { o.waitErr = cmd.Wait(); close(o.done) }()
	return o, nil
}

func (o *operator) pid() int { return o.cmd.Process.Pid }

// exited reports whether the operator has stopped on its own, and how.
func (o *operator) exited() (bool, string) {
	select {
	case <-o.done:
		return true, fmt.Sprint(o.waitErr)
	default:
		return false, ""
	}
}

// procMemory is what /proc/PID/status says of a process's resident memory, in bytes.
type procMemory struct {
	Peak    int64 // VmHWM: the highest resident set size so far
	Current int64 // VmRSS
	Anon    int64 // RssAnon: heap, stacks — what grows with the objects
	File    int64 // RssFile: mapped files, mostly the binary's code and data
}

// memory reads the operator's resident memory.
func (o *operator) memory() (procMemory, error) {
	return readMemory(o.cmd.Process.Pid)
}

func readMemory(pid int) (procMemory, error) {
	var m procMemory
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, err
	}
	defer func() { _ = f.Close() }()
	fields := map[string]*int64{"VmHWM": &m.Peak, "VmRSS": &m.Current, "RssAnon": &m.Anon, "RssFile": &m.File}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		field, value, ok := strings.Cut(sc.Text(), ":")
		dst := fields[field]
		if !ok || dst == nil {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return m, fmt.Errorf("parsing %s: %w", field, err)
		}
		*dst = kb * 1024
	}
	return m, sc.Err()
}

// stop interrupts the operator and waits up to 15s before killing it.
func (o *operator) stop() {
	defer func() { _ = o.log.Close() }()
	_ = o.cmd.Process.Signal(os.Interrupt)
	select {
	case <-o.done:
	case <-time.After(15 * time.Second):
		_ = o.cmd.Process.Kill()
		<-o.done
	}
}
