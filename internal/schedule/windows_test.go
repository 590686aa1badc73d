package schedule

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

func windowsOf(t *testing.T, kind string, loc *time.Location, scheduleAndDuration ...string) *Windows {
	t.Helper()
	spec := &esv1.SyncWindows{Kind: kind}
	for i := 0; i+1 < len(scheduleAndDuration); i += 2 {
		spec.Windows = append(spec.Windows, esv1.SyncWindow{Schedule: scheduleAndDuration[i], Duration: scheduleAndDuration[i+1]})
	}
	w, err := ParseWindows(spec, loc)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWindowsAllowAndNextAllowed(t *testing.T) {
	// Thursday 1 January 2026.
	at := func(day, hh, mm int) time.Time { return time.Date(2026, 1, day, hh, mm, 0, 0, time.UTC) }
	businessHours := windowsOf(t, WindowsAllow, nil, "0 9 * * 1-5", "8h")
	saturdayMaintenance := windowsOf(t, WindowsDeny, nil, "0 2 * * 6", "2h")
	nightly := windowsOf(t, WindowsAllow, nil, "@daily", "1h", "30 12 * * *", "15m")
	chained := windowsOf(t, WindowsDeny, nil, "0 * * * *", "1h") // always closed
	every := windowsOf(t, WindowsAllow, nil, "@every 15m", "5m")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	inBerlin := windowsOf(t, WindowsAllow, berlin, "0 9 * * *", "1h")

	tests := []struct {
		name    string
		windows *Windows
		t       time.Time
		allows  bool
		next    time.Time
	}{
		{"no windows", nil, at(1, 3, 0), true, at(1, 3, 0)},
		{"allow: inside", businessHours, at(1, 12, 0), true, at(1, 12, 0)},
		{"allow: at the opening", businessHours, at(1, 9, 0), true, at(1, 9, 0)},
		{"allow: at the closing it is closed", businessHours, at(1, 17, 0), false, at(2, 9, 0)},
		{"allow: before the opening", businessHours, at(1, 7, 30), false, at(1, 9, 0)},
		{"allow: friday evening waits for monday", businessHours, at(2, 18, 0), false, at(5, 9, 0)},
		{"deny: outside", saturdayMaintenance, at(3, 1, 59), true, at(3, 1, 59)},
		{"deny: inside waits for the closing", saturdayMaintenance, at(3, 2, 30), false, at(3, 4, 0)},
		{"two allow windows: the earlier opening", nightly, at(1, 11, 0), false, at(1, 12, 30)},
		{"two allow windows: past the last, the next day's", nightly, at(1, 13, 0), false, at(2, 0, 0)},
		{"@every counts from the epoch", every, at(1, 10, 7), false, at(1, 10, 15)},
		{"@every: inside", every, at(1, 10, 16), true, at(1, 10, 16)},
		{"time zone: 09:00 Berlin is 08:00 UTC in winter", inBerlin, at(1, 8, 30), true, at(1, 8, 30)},
		{"time zone: 09:00 UTC is after Berlin's window", inBerlin, at(1, 9, 0), false, at(2, 8, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.windows.Allows(tt.t); got != tt.allows {
				t.Errorf("Allows(%s) = %v, want %v", tt.t, got, tt.allows)
			}
			if got := tt.windows.NextAllowed(tt.t); !got.Equal(tt.next) {
				t.Errorf("NextAllowed(%s) = %s, want %s", tt.t, got, tt.next)
			}
		})
	}

	// Deny windows that chain without end: the walk stops later than it started, still
	// denied, and the caller asks again then.
	start := at(1, 10, 30)
	next := chained.NextAllowed(start)
	if !next.After(start) || chained.Allows(next) {
		t.Fatalf("chained deny windows: NextAllowed(%s) = %s, allowed %v", start, next, chained.Allows(next))
	}
	// An allow window that never opens again (30 February) gives zero: no periodic refresh.
	never := windowsOf(t, WindowsAllow, nil, "0 0 30 2 *", "1h")
	if got := never.NextAllowed(start); !got.IsZero() {
		t.Fatalf("a window that never opens: NextAllowed = %s, want zero", got)
	}
}

func TestParseWindowsErrors(t *testing.T) {
	tests := []struct {
		name string
		spec esv1.SyncWindows
		want []string
	}{
		{"bad minute", esv1.SyncWindows{Kind: "allow", Windows: []esv1.SyncWindow{{Schedule: "61 * * * *", Duration: "1h"}}},
			[]string{"spec.syncWindows.windows[0].schedule", `"61 * * * *"`}},
		{"bad duration", esv1.SyncWindows{Kind: "deny", Windows: []esv1.SyncWindow{{Schedule: "@daily", Duration: "an hour"}}},
			[]string{"spec.syncWindows.windows[0].duration", `"an hour"`}},
		{"zero duration", esv1.SyncWindows{Kind: "deny", Windows: []esv1.SyncWindow{{Schedule: "@daily", Duration: "0s"}}},
			[]string{"spec.syncWindows.windows[0].duration: must be positive"}},
		{"no windows", esv1.SyncWindows{Kind: "allow"}, []string{"spec.syncWindows.windows: list at least one window"}},
		{"bad kind", esv1.SyncWindows{Kind: "maybe", Windows: []esv1.SyncWindow{{Schedule: "@daily", Duration: "1h"}}},
			[]string{"spec.syncWindows.kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseWindows(&tt.spec, nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestWindowsOfReadsTheTimeZoneAnnotation(t *testing.T) {
	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{TimeZoneAnnotation: "Asia/Tokyo"}},
		Spec: esv1.ExternalSecretSpec{SyncWindows: &esv1.SyncWindows{Kind: WindowsAllow,
			Windows: []esv1.SyncWindow{{Schedule: "0 9 * * *", Duration: "1h"}}}}}
	w, err := WindowsOf(es)
	if err != nil {
		t.Fatal(err)
	}
	if nineInTokyo := time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC); !w.Allows(nineInTokyo) {
		t.Fatal("09:30 in Tokyo is not inside a 09:00 Tokyo window")
	}
	es.Annotations[TimeZoneAnnotation] = "Mars/Olympus"
	if _, err := WindowsOf(es); err == nil || !strings.Contains(err.Error(), "Mars/Olympus") {
		t.Fatalf("unknown zone: err = %v", err)
	}
	if w, err := WindowsOf(&esv1.ExternalSecret{}); w != nil || err != nil || !w.Allows(time.Now()) {
		t.Fatal("no windows must allow every refresh")
	}
}
