package v1

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a Go duration as written in a manifest ("1m", "1h30m"). It keeps the text it
// was written with, so an object reads back exactly as written (not "1m0s"), and it always
// decodes: text that is not a duration is kept and reported by Err, so one object with a typo
// cannot stop every ExternalSecret from being listed.
// +kubebuilder:validation:Type=string
type Duration struct {
	// Duration is the parsed value; zero when the text is not a duration.
	Duration time.Duration `json:"-"`
	// Text is the text as written; it is exported (but not serialized as a field) so that
	// reflection-based comparisons such as equality.Semantic can read it.
	Text string `json:"-"`
}

// NewDuration returns a Duration of d, written in Go's canonical form.
func NewDuration(d time.Duration) *Duration { return &Duration{Duration: d} }

// Err says why the written text is not a duration, or nil.
func (d *Duration) Err() error {
	if d == nil || d.Text == "" {
		return nil
	}
	if _, err := time.ParseDuration(d.Text); err != nil {
		return fmt.Errorf("%q is not a duration: use a Go duration such as 1h or 30m, or 0 to sync once", d.Text)
	}
	return nil
}

// String returns the text as written, or the canonical form.
func (d Duration) String() string {
	if d.Text != "" {
		if v, err := time.ParseDuration(d.Text); err != nil || v == d.Duration {
			return d.Text
		}
	}
	return d.Duration.String()
}

// MarshalJSON writes the text as written while it still means the same duration.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a duration string, keeping the text even when it does not parse.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration must be a string such as \"1h\": %w", err)
	}
	d.Text = s
	d.Duration = 0
	if v, err := time.ParseDuration(s); err == nil {
		d.Duration = v
	}
	return nil
}

// ToUnstructured gives the unstructured converter the written text.
func (d Duration) ToUnstructured() any { return d.String() }
