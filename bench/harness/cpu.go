package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ: /proc reports CPU times in these units. It is 100 on
// every Linux the harness runs on.
const clockTicks = 100

// cpuTimes returns the CPU time (user + system) used so far by the processes the harness
// started — the operator, kube-apiserver, etcd, moto — and by the harness itself, by name.
// Comparing them with the wall time says what a phase was limited by.
func cpuTimes(operatorPID int) map[string]time.Duration {
	out := map[string]time.Duration{}
	self := os.Getpid()
	entries, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range entries {
		b, err := os.ReadFile(path) //nolint:gosec // /proc
		if err != nil {
			continue
		}
		pid, name, ppid, cpu, ok := parseStat(string(b))
		if !ok {
			continue
		}
		switch {
		case pid == operatorPID:
			out["operator"] += cpu
		case pid == self:
			out["harness"] += cpu
		case ppid == self:
			if strings.HasPrefix(name, "moto") || strings.HasPrefix(name, "python") {
				name = "moto"
			}
			out[name] += cpu
		}
	}
	return out
}

// parseStat reads pid, command name, parent pid and utime+stime from /proc/PID/stat.
func parseStat(stat string) (pid int, name string, ppid int, cpu time.Duration, ok bool) {
	open, closing := strings.IndexByte(stat, '('), strings.LastIndexByte(stat, ')')
	if open < 0 || closing < open {
		return 0, "", 0, 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(stat[:open]))
	if err != nil {
		return 0, "", 0, 0, false
	}
	name = stat[open+1 : closing]
	// After the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime.
	fields := strings.Fields(stat[closing+1:])
	if len(fields) < 13 {
		return 0, "", 0, 0, false
	}
	ppid, _ = strconv.Atoi(fields[1])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return pid, name, ppid, time.Duration(utime+stime) * time.Second / clockTicks, true
}

// cpuSince returns the CPU used by each process between two readings.
func cpuSince(before, after map[string]time.Duration) map[string]time.Duration {
	out := map[string]time.Duration{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

func cpuString(m map[string]time.Duration) string {
	if len(m) == 0 {
		return "unknown"
	}
	var parts []string
	for _, k := range []string{"operator", "kube-apiserver", "etcd", "moto", "harness"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s %.1f s", k, v.Seconds()))
		}
	}
	return strings.Join(parts, ", ")
}
