package aws

import (
	"fmt"
	"time"
)

// parseInterval reads spec.retrySettings.retryInterval, e.g. "10s".
func parseInterval(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("spec.retrySettings.retryInterval: %q is not a duration such as 10s", s)
	}
	return d, nil
}

// fixedBackoff waits the same time before every retry.
type fixedBackoff time.Duration

// BackoffDelay implements retry.BackoffDelayer.
func (b fixedBackoff) BackoffDelay(int, error) (time.Duration, error) { return time.Duration(b), nil }
