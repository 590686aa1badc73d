package rollout

import (
	"math"
	"sync"
	"time"
)

// Reasons a restart waits or is skipped; they label ferry_rollouts_skipped_total.
const (
	ReasonWindow      = "window"
	ReasonMinInterval = "min-interval"
	ReasonRateLimit   = "rate-limit"
	ReasonPaused      = "paused"
	// ReasonHalted: a restart Ferry made has not gone healthy (Options.StopOnUnhealthy).
	ReasonHalted = "halted"
)

// haltedRecheck is how often a restart held back by a halt asks again.
const haltedRecheck = 5 * time.Second

// Verdict is the Governor's answer for one workload.
type Verdict struct {
	Allowed bool
	// Wait and Reason say, when not allowed, how long to wait before asking again and why.
	Wait   time.Duration
	Reason string
	// Repeat tells that the same change was already held back for the same reason.
	Repeat bool
}

// pendingChange is a change Ferry saw and has not rolled out yet.
type pendingChange struct {
	since time.Time
	held  string // the last reason it was held back for
}

// Governor decides when a workload with a pending change may restart: after the coalescing
// window, at least MinInterval after its previous restart, and within the global rate. It
// keeps its state in memory only: after a restart of Ferry a pending change waits one more
// window, which is safe since nothing was rolled for it yet.
type Governor struct {
	now func() time.Time

	mu          sync.Mutex
	opts        Options
	pending     map[string]*pendingChange
	lastRollout map[string]time.Time
	// halted holds the workloads whose restart has not gone healthy: while any does, every
	// other workload waits (the workload itself may restart again, which may be its fix).
	halted   map[string]bool
	tokens   float64
	refilled time.Time
}

// NewGovernor returns a Governor reading time from now (time.Now outside tests).
func NewGovernor(opts Options, now func() time.Time) *Governor {
	opts = opts.withDefaults()
	return &Governor{now: now, opts: opts, pending: map[string]*pendingChange{}, lastRollout: map[string]time.Time{},
		halted: map[string]bool{}, tokens: float64(opts.Burst), refilled: now()}
}

// Admit is asked when workload has a change to roll out. When allowed, it takes a token of
// the global rate: call Done once the restart is written.
func (g *Governor) Admit(workload string) Verdict {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	change, ok := g.pending[workload]
	if !ok {
		change = &pendingChange{since: now}
		g.pending[workload] = change
	}
	hold := func(wait time.Duration, reason string) Verdict {
		v := Verdict{Wait: wait, Reason: reason, Repeat: change.held == reason}
		change.held = reason
		return v
	}
	if wait := change.since.Add(g.opts.Window).Sub(now); wait > 0 {
		return hold(wait, ReasonWindow)
	}
	if len(g.halted) > 0 && !g.halted[workload] {
		return hold(haltedRecheck, ReasonHalted)
	}
	if last, ok := g.lastRollout[workload]; ok {
		if wait := last.Add(g.opts.MinInterval).Sub(now); wait > 0 {
			return hold(wait, ReasonMinInterval)
		}
	}
	if wait := g.take(now); wait > 0 {
		return hold(wait, ReasonRateLimit)
	}
	return Verdict{Allowed: true}
}

// Done records that workload restarted now.
func (g *Governor) Done(workload string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	delete(g.pending, workload)
	g.lastRollout[workload] = now
	for w, at := range g.lastRollout { // only restarts still within MinInterval matter
		if now.Sub(at) >= g.opts.MinInterval {
			delete(g.lastRollout, w)
		}
	}
}

// Forget drops a pending change of workload: its sources are back to what was rolled out, or
// the workload is gone or paused.
func (g *Governor) Forget(workload string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.pending, workload)
}

// Halt stops the train: until Resume, every other workload's restart waits.
func (g *Governor) Halt(workload string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.halted[workload] = true
}

// Resume lifts the halt a workload caused; it reports whether there was one.
func (g *Governor) Resume(workload string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	was := g.halted[workload]
	delete(g.halted, workload)
	return was
}

// Halted reports how many workloads hold the train.
func (g *Governor) Halted() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.halted)
}

// take takes one token of the global rate, or returns how long until one is available.
func (g *Governor) take(now time.Time) time.Duration {
	if g.opts.PerMinute < 0 {
		return 0
	}
	perSecond := float64(g.opts.PerMinute) / 60
	if elapsed := now.Sub(g.refilled).Seconds(); elapsed > 0 {
		g.tokens = math.Min(float64(g.opts.Burst), g.tokens+elapsed*perSecond)
		g.refilled = now
	}
	if g.tokens >= 1 {
		g.tokens--
		return 0
	}
	return time.Duration(math.Ceil((1 - g.tokens) / perSecond * float64(time.Second)))
}
