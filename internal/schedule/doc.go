// Package schedule is the refresh grid of ExternalSecrets: when an object is checked again
// on its own. The reconciler schedules by it and `kubectl ferry status` reports from it, so
// the two never disagree. Pure functions of the object, the interval and the clock.
package schedule
