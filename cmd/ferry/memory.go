package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// memoryLimitShare is the part of the container's memory limit the Go runtime aims to stay
// under; the rest is left to what the runtime does not count: the binary's mapped pages,
// which the kernel counts against the container.
const memoryLimitShare = 0.85

// defaultGCPercent is the GOGC Ferry runs with unless GOGC is set. An operator's heap is
// mostly its caches, which live long, so Go's default of letting the heap double before each
// collection costs memory for little CPU saved: at 5,000 ExternalSecrets, 50 measured 13%
// less peak memory than 100 for the same CPU; at 10,000, once a sync allocated a quarter less,
// 40 measured a median peak 6 MiB under 50's with no more operator CPU (bench/RESULTS.md).
const defaultGCPercent = 40

// setGCPercent applies defaultGCPercent unless GOGC is set, and returns the GOGC in effect.
func setGCPercent() int {
	if os.Getenv("GOGC") != "" {
		current := debug.SetGCPercent(-1) // read the runtime's value, then put it back
		debug.SetGCPercent(current)
		return current
	}
	debug.SetGCPercent(defaultGCPercent)
	return defaultGCPercent
}

// setMemoryLimit gives the Go runtime a soft memory limit of memoryLimitShare of the
// container's memory limit, unless GOMEMLIMIT is set: the garbage collector then works harder
// as the heap nears the limit, instead of letting it double past the limit (Go's default) and
// the kernel kill the pod. It returns the limit set, or 0. cgroupRoot is /sys/fs/cgroup.
func setMemoryLimit(cgroupRoot string) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	limit, ok := containerMemoryLimit(cgroupRoot)
	if !ok {
		return 0
	}
	soft := int64(float64(limit) * memoryLimitShare)
	debug.SetMemoryLimit(soft)
	return soft
}

// containerMemoryLimit reads the memory limit of the cgroup the process runs in: cgroup v2's
// memory.max, or v1's memory.limit_in_bytes. "max", or v1's huge "unlimited" value, is no
// limit.
func containerMemoryLimit(cgroupRoot string) (int64, bool) {
	for _, file := range []string{"memory.max", filepath.Join("memory", "memory.limit_in_bytes")} {
		b, err := os.ReadFile(filepath.Join(cgroupRoot, file)) //nolint:gosec // a fixed cgroup file
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || v <= 0 || v >= 1<<60 {
			return 0, false
		}
		return v, true
	}
	return 0, false
}

// startupPages releases the binary's pages (releaseBinaryPages) once more when the
// manager's caches have synced: building the controllers, the informers and the first lists
// run code that a running operator does not run again. It runs on every replica, elected or
// not.
type startupPages struct {
	cache interface {
		WaitForCacheSync(ctx context.Context) bool
	}
}

func (p startupPages) Start(ctx context.Context) error {
	if p.cache.WaitForCacheSync(ctx) {
		releaseBinaryPages()
	}
	return nil
}

func (startupPages) NeedLeaderElection() bool { return false }
