package operator

import "time"

// SetSweepEvery makes the fetcher sweep every d in the managers built after it, and
// returns a function that restores the period.
func SetSweepEvery(d time.Duration) (restore func()) {
	old := sweepEvery
	sweepEvery = d
	return func() { sweepEvery = old }
}
