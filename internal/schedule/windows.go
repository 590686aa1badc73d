package schedule

import (
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // the binary carries the zone database: the image may have none

	"github.com/robfig/cron/v3"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Kinds of spec.syncWindows.
const (
	// WindowsAllow: periodic refreshes happen only while a window is open.
	WindowsAllow = "allow"
	// WindowsDeny: periodic refreshes wait while any window is open.
	WindowsDeny = "deny"
)

// maxWindowSteps and maxDenySteps bound the walks over window openings, so that a schedule
// that opens every minute for a day, or deny windows that chain for a year, cost a bounded
// amount of work. A walk that reaches its bound gives the instant it reached, at which the
// caller simply looks again.
const (
	maxWindowSteps = 2000
	maxDenySteps   = 64
)

// cronParser reads five-field cron expressions and the @ descriptors (@daily, @every 1h),
// as ESO does.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Windows is a parsed spec.syncWindows: when periodic refreshes may happen.
type Windows struct {
	deny    bool
	windows []window
}

// window is one schedule of openings and how long each opening lasts.
type window struct {
	openings cron.Schedule
	duration time.Duration
}

// ParseWindows parses spec.syncWindows, evaluated in loc (UTC when nil). nil windows give
// a nil *Windows, which allows every refresh.
func ParseWindows(spec *esv1.SyncWindows, loc *time.Location) (*Windows, error) {
	if spec == nil {
		return nil, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	w := &Windows{deny: spec.Kind == WindowsDeny}
	var errs []error
	if spec.Kind != WindowsAllow && spec.Kind != WindowsDeny {
		errs = append(errs, fmt.Errorf("spec.syncWindows.kind: %q is neither allow nor deny", spec.Kind))
	}
	if len(spec.Windows) == 0 {
		errs = append(errs, errors.New("spec.syncWindows.windows: list at least one window"))
	}
	for i, sw := range spec.Windows {
		openings, err := parseOpenings(sw.Schedule, loc)
		if err != nil {
			errs = append(errs, fmt.Errorf("spec.syncWindows.windows[%d].schedule: %q: %w", i, sw.Schedule, err))
		}
		d, err := time.ParseDuration(sw.Duration)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("spec.syncWindows.windows[%d].duration: invalid duration %q: use a Go duration such as 30m", i, sw.Duration))
		case d <= 0:
			errs = append(errs, fmt.Errorf("spec.syncWindows.windows[%d].duration: must be positive, got %s", i, sw.Duration))
		}
		w.windows = append(w.windows, window{openings: openings, duration: d})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return w, nil
}

// parseOpenings parses a schedule. "@every D" opens every D counted from the Unix epoch,
// so that a window's openings do not depend on when they are asked about.
func parseOpenings(spec string, loc *time.Location) (cron.Schedule, error) {
	s, err := cronParser.Parse(spec)
	if err != nil {
		return nil, err //nolint:wrapcheck // the caller names the field
	}
	switch s := s.(type) {
	case *cron.SpecSchedule:
		s.Location = loc
	case cron.ConstantDelaySchedule:
		return everySchedule(s.Delay), nil
	}
	return s, nil
}

// everySchedule opens at every multiple of its period since the Unix epoch.
type everySchedule time.Duration

// Next is the first opening strictly after t.
func (e everySchedule) Next(t time.Time) time.Time {
	p := int64(e)
	n := t.UnixNano() / p
	if t.UnixNano() < 0 && t.UnixNano()%p != 0 {
		n--
	}
	return time.Unix(0, (n+1)*p).In(t.Location())
}

// openAt says whether the window is open at t, and when its latest opening that covers t
// closes.
func (w window) openAt(t time.Time) (bool, time.Time) {
	var closes time.Time
	at := t.Add(-w.duration)
	for range maxWindowSteps {
		at = w.openings.Next(at)
		if at.IsZero() || at.After(t) {
			break
		}
		closes = at.Add(w.duration)
	}
	return !closes.IsZero(), closes
}

// Allows says whether a periodic refresh may happen at t.
func (w *Windows) Allows(t time.Time) bool {
	if w == nil {
		return true
	}
	for _, win := range w.windows {
		if open, _ := win.openAt(t); open {
			return !w.deny
		}
	}
	return w.deny
}

// NextAllowed is the first instant at or after t at which a periodic refresh may happen:
// t itself when the windows allow it, otherwise the opening of the next allow window or
// the closing of the deny windows open at t. It is zero when no allow window ever opens
// again. A deny window that never closes within the bounded walk gives the instant the
// walk reached, at which the caller asks again.
func (w *Windows) NextAllowed(t time.Time) time.Time {
	if w == nil || w.Allows(t) {
		return t
	}
	if !w.deny {
		var next time.Time
		for _, win := range w.windows {
			if at := win.openings.Next(t); !at.IsZero() && (next.IsZero() || at.Before(next)) {
				next = at
			}
		}
		return next
	}
	for range maxDenySteps {
		latest := t
		for _, win := range w.windows {
			if open, closes := win.openAt(t); open && closes.After(latest) {
				latest = closes
			}
		}
		if !latest.After(t) {
			return t
		}
		t = latest
	}
	return t
}

// TimeZoneAnnotation names, on an ExternalSecret, the IANA time zone its sync windows'
// schedules are read in (for example Europe/Berlin). ESO reads them in UTC, which stays the
// default; the annotation is Ferry's, since ESO's schedule field admits no zone.
const TimeZoneAnnotation = "ferry.dev/sync-windows-time-zone"

// WindowsOf parses the object's sync windows in the zone its TimeZoneAnnotation names.
func WindowsOf(es *esv1.ExternalSecret) (*Windows, error) {
	if es.Spec.SyncWindows == nil {
		return nil, nil
	}
	loc := time.UTC
	if zone := es.Annotations[TimeZoneAnnotation]; zone != "" {
		l, err := time.LoadLocation(zone)
		if err != nil {
			return nil, fmt.Errorf("metadata.annotations[%s]: unknown time zone %q", TimeZoneAnnotation, zone)
		}
		loc = l
	}
	return ParseWindows(es.Spec.SyncWindows, loc)
}
