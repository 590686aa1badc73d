package rollout

import (
	"maps"
	"slices"
	"strings"
)

// Action is what a workload needs after comparing what Ferry recorded with what it sees.
type Action int

const (
	// Nothing is needed: the recorded digests match the sources.
	Nothing Action = iota
	// Record updates the recorded digests without restarting: first sight, or a source that
	// appeared, disappeared or stopped being watched.
	Record
	// Roll restarts: a source that was recorded and still exists has other data.
	Roll
)

// Decision is the outcome of Decide.
type Decision struct {
	Action Action
	// Changed lists the sources whose data changed, sorted; set when Action is Roll.
	Changed []string
	// Digests is the record to write: the observed digests, plus the recorded ones of
	// sources that are missing for now.
	Digests map[string]string
}

// Absent is the digest recorded for a watched source that does not exist, so that its
// creation can be told from a source that is newly watched.
const Absent = "-"

// Policy says which appearances and disappearances of sources restart a workload.
type Policy struct {
	// OnCreate restarts when a source recorded as Absent is created (--reload-on-create).
	OnCreate bool
	// OnDelete restarts when a recorded source is deleted (--reload-on-delete).
	OnDelete bool
}

// Decide compares the recorded digests (the value of AnnotationLastDigests; present tells
// whether the annotation exists) with the observed ones (source → short digest). missing
// lists the sources the workload watches that do not exist. A change of the data of a
// source known on both sides restarts. Like Reloader's defaults, a source being created or
// deleted does not, unless the policy says so. Without OnDelete a deleted source keeps its
// recorded digest, so deleting it and creating it again with other data is a change; with
// OnDelete it is recorded as Absent.
func Decide(recorded string, present bool, observed map[string]string, missing []string, policy Policy) Decision {
	last := ParseDigests(recorded)
	next := maps.Clone(observed)
	if next == nil {
		next = map[string]string{}
	}
	var changed []string
	for _, name := range missing {
		old, ok := last[name]
		switch {
		case !ok:
			next[name] = Absent
		case old != Absent && policy.OnDelete && present:
			next[name] = Absent
			changed = append(changed, name)
		default:
			next[name] = old
		}
	}
	if !present {
		return Decision{Action: Record, Digests: next}
	}
	for name, digest := range observed {
		old, ok := last[name]
		if ok && old != digest && (old != Absent || policy.OnCreate) {
			changed = append(changed, name)
		}
	}
	switch {
	case len(changed) > 0:
		slices.Sort(changed)
		return Decision{Action: Roll, Changed: changed, Digests: next}
	case maps.Equal(last, next):
		return Decision{Action: Nothing, Digests: next}
	default:
		return Decision{Action: Record, Digests: next}
	}
}

// FormatDigests renders source → digest as the value of AnnotationLastDigests:
// "configmap/a=<digest>,secret/b=<digest>", sorted.
func FormatDigests(digests map[string]string) string {
	parts := make([]string, 0, len(digests))
	for _, name := range slices.Sorted(maps.Keys(digests)) {
		parts = append(parts, name+"="+digests[name])
	}
	return strings.Join(parts, ",")
}

// ParseDigests reads a value written by FormatDigests; malformed entries are dropped (they
// then count as sources that appeared, which records without restarting).
func ParseDigests(value string) map[string]string {
	out := map[string]string{}
	for entry := range strings.SplitSeq(value, ",") {
		name, digest, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if ok && name != "" && digest != "" {
			out[name] = digest
		}
	}
	return out
}
