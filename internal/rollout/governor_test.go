package rollout

import (
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestGovernorWindowCoalesces(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	g := NewGovernor(Options{Window: 5 * time.Second, MinInterval: -1, PerMinute: -1}, clock.now)

	v := g.Admit("d")
	if v.Allowed || v.Reason != ReasonWindow || v.Wait != 5*time.Second {
		t.Fatalf("first sight of a change: %+v, want to wait the whole window", v)
	}
	clock.advance(2 * time.Second) // a second change arrives: the window does not restart
	if v := g.Admit("d"); v.Allowed || v.Wait != 3*time.Second || !v.Repeat {
		t.Fatalf("within the window: %+v, want to wait the rest of it", v)
	}
	clock.advance(3 * time.Second)
	if v := g.Admit("d"); !v.Allowed {
		t.Fatalf("window over: %+v, want allowed", v)
	}
	g.Done("d")
	if v := g.Admit("d"); v.Allowed || v.Wait != 5*time.Second {
		t.Fatalf("a new change after the restart: %+v, want a new window", v)
	}
}

func TestGovernorForgetResetsWindow(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	g := NewGovernor(Options{Window: 5 * time.Second, MinInterval: -1, PerMinute: -1}, clock.now)
	g.Admit("d")
	clock.advance(4 * time.Second)
	g.Forget("d") // the data went back to what was rolled out
	if v := g.Admit("d"); v.Allowed || v.Wait != 5*time.Second {
		t.Fatalf("after Forget: %+v, want a fresh window", v)
	}
}

func TestGovernorMinInterval(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	g := NewGovernor(Options{Window: -1, MinInterval: time.Minute, PerMinute: -1}, clock.now)
	if v := g.Admit("d"); !v.Allowed {
		t.Fatalf("no window, first restart: %+v", v)
	}
	g.Done("d")
	clock.advance(20 * time.Second)
	v := g.Admit("d")
	if v.Allowed || v.Reason != ReasonMinInterval || v.Wait != 40*time.Second || v.Repeat {
		t.Fatalf("20s after a restart: %+v, want min-interval, 40s", v)
	}
	if v := g.Admit("d"); v.Allowed || !v.Repeat {
		t.Fatalf("asked again: %+v, want a repeat", v)
	}
	if v := g.Admit("other"); !v.Allowed {
		t.Fatalf("another workload: %+v, want allowed (the interval is per workload)", v)
	}
	clock.advance(40 * time.Second)
	if v := g.Admit("d"); !v.Allowed {
		t.Fatalf("after the interval: %+v", v)
	}
}

func TestGovernorRateLimit(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	g := NewGovernor(Options{Window: -1, MinInterval: -1, PerMinute: 6, Burst: 2}, clock.now)
	for _, w := range []string{"a", "b"} {
		if v := g.Admit(w); !v.Allowed {
			t.Fatalf("within the burst, %s: %+v", w, v)
		}
		g.Done(w)
	}
	v := g.Admit("c")
	if v.Allowed || v.Reason != ReasonRateLimit || v.Wait != 10*time.Second {
		t.Fatalf("burst spent: %+v, want rate-limit for 10s (6 a minute)", v)
	}
	clock.advance(10 * time.Second)
	if v := g.Admit("c"); !v.Allowed {
		t.Fatalf("a token came back: %+v", v)
	}
	if v := g.Admit("d"); v.Allowed {
		t.Fatalf("no token left: %+v", v)
	}
	clock.advance(time.Hour) // tokens never pile up beyond the burst
	allowed := 0
	for _, w := range []string{"e", "f", "g", "h"} {
		if g.Admit(w).Allowed {
			allowed++
		}
	}
	if allowed != 2 {
		t.Fatalf("after an idle hour %d restarts were allowed at once, want the burst (2)", allowed)
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.Window != DefaultWindow || o.MinInterval != DefaultMinInterval || o.PerMinute != DefaultPerMinute || o.Burst != 6 {
		t.Errorf("defaults = %+v", o)
	}
	if o := (Options{PerMinute: 3}).withDefaults(); o.Burst != 1 {
		t.Errorf("burst for 3 a minute = %d, want 1", o.Burst)
	}
}

func TestGovernorHaltStopsOthers(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1000, 0)}
	g := NewGovernor(Options{Window: -1, MinInterval: -1, PerMinute: -1}, clock.now)
	g.Halt("broken")
	if v := g.Admit("other"); v.Allowed || v.Reason != ReasonHalted || v.Wait != haltedRecheck {
		t.Fatalf("while halted: %+v, want to wait", v)
	}
	if v := g.Admit("other"); v.Allowed || !v.Repeat {
		t.Fatalf("asked again while halted: %+v, want a repeat", v)
	}
	if v := g.Admit("broken"); !v.Allowed {
		t.Fatalf("the halted workload itself: %+v, want allowed (a new restart may fix it)", v)
	}
	if !g.Resume("broken") || g.Resume("broken") || g.Halted() != 0 {
		t.Fatalf("Resume should lift the halt once")
	}
	if v := g.Admit("other"); !v.Allowed {
		t.Fatalf("after resume: %+v, want allowed", v)
	}
}
