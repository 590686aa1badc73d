package rollout

import (
	"maps"
	"slices"
	"testing"
)

func TestDecide(t *testing.T) {
	for name, tc := range map[string]struct {
		recorded string
		present  bool
		observed map[string]string
		missing  []string
		policy   Policy
		action   Action
		changed  []string
		digests  string
	}{
		"first sight":                   {observed: map[string]string{"secret/a": "1"}, action: Record, digests: "secret/a=1"},
		"first sight, nothing to watch": {observed: map[string]string{}, action: Record, digests: ""},
		"first sight, source missing":   {observed: map[string]string{}, missing: []string{"secret/a"}, action: Record, digests: "secret/a=-"},
		"same": {recorded: "secret/a=1,configmap/b=2", present: true, observed: map[string]string{"secret/a": "1", "configmap/b": "2"},
			action: Nothing, digests: "configmap/b=2,secret/a=1"},
		"same, nothing watched": {recorded: "", present: true, observed: map[string]string{}, action: Nothing, digests: ""},
		"one changed": {recorded: "configmap/b=2,secret/a=1", present: true, observed: map[string]string{"secret/a": "9", "configmap/b": "2"},
			action: Roll, changed: []string{"secret/a"}, digests: "configmap/b=2,secret/a=9"},
		"two changed": {recorded: "configmap/b=2,secret/a=1", present: true, observed: map[string]string{"secret/a": "9", "configmap/b": "8"},
			action: Roll, changed: []string{"configmap/b", "secret/a"}, digests: "configmap/b=8,secret/a=9"},
		"created: record, no restart": {recorded: "secret/a=1", present: true, observed: map[string]string{"secret/a": "1", "secret/new": "5"},
			action: Record, digests: "secret/a=1,secret/new=5"},
		"deleted: keep its digest, no restart": {recorded: "secret/a=1,secret/gone=3", present: true, observed: map[string]string{"secret/a": "1"},
			missing: []string{"secret/gone"}, action: Nothing, digests: "secret/a=1,secret/gone=3"},
		"deleted and created again, same data": {recorded: "secret/a=3", present: true, observed: map[string]string{"secret/a": "3"},
			action: Nothing, digests: "secret/a=3"},
		"deleted and created again, other data": {recorded: "secret/a=3", present: true, observed: map[string]string{"secret/a": "4"},
			action: Roll, changed: []string{"secret/a"}, digests: "secret/a=4"},
		"no longer watched: forget it": {recorded: "secret/a=1,secret/old=3", present: true, observed: map[string]string{"secret/a": "1"},
			action: Record, digests: "secret/a=1"},
		"changed and created": {recorded: "secret/a=1", present: true, observed: map[string]string{"secret/a": "2", "secret/new": "5"},
			action: Roll, changed: []string{"secret/a"}, digests: "secret/a=2,secret/new=5"},
		"missing, newly watched: record it absent": {recorded: "secret/a=1", present: true, observed: map[string]string{"secret/a": "1"},
			missing: []string{"secret/b"}, action: Record, digests: "secret/a=1,secret/b=-"},
		"absent and still missing": {recorded: "secret/b=-", present: true, observed: map[string]string{}, missing: []string{"secret/b"},
			action: Nothing, digests: "secret/b=-"},
		"created, default: record only": {recorded: "secret/b=-", present: true, observed: map[string]string{"secret/b": "5"},
			action: Record, digests: "secret/b=5"},
		"created, reload on create": {recorded: "secret/b=-", present: true, observed: map[string]string{"secret/b": "5"},
			policy: Policy{OnCreate: true}, action: Roll, changed: []string{"secret/b"}, digests: "secret/b=5"},
		"newly watched, reload on create: not a creation": {recorded: "", present: true, observed: map[string]string{"secret/b": "5"},
			policy: Policy{OnCreate: true}, action: Record, digests: "secret/b=5"},
		"deleted, reload on delete": {recorded: "secret/a=1,secret/gone=3", present: true, observed: map[string]string{"secret/a": "1"},
			missing: []string{"secret/gone"}, policy: Policy{OnDelete: true}, action: Roll, changed: []string{"secret/gone"}, digests: "secret/a=1,secret/gone=-"},
		"deleted earlier, reload on delete: once": {recorded: "secret/gone=-", present: true, observed: map[string]string{},
			missing: []string{"secret/gone"}, policy: Policy{OnDelete: true}, action: Nothing, digests: "secret/gone=-"},
		"first sight, reload on delete: record": {observed: map[string]string{}, missing: []string{"secret/gone"},
			policy: Policy{OnDelete: true, OnCreate: true}, action: Record, digests: "secret/gone=-"},
		"malformed record: record again": {recorded: "garbage,=x,secret/a=", present: true, observed: map[string]string{"secret/a": "1"},
			action: Record, digests: "secret/a=1"},
	} {
		t.Run(name, func(t *testing.T) {
			d := Decide(tc.recorded, tc.present, tc.observed, tc.missing, tc.policy)
			if d.Action != tc.action || !slices.Equal(d.Changed, tc.changed) || FormatDigests(d.Digests) != tc.digests {
				t.Errorf("Decide = %+v (record %q), want action %v changed %v record %q", d, FormatDigests(d.Digests), tc.action, tc.changed, tc.digests)
			}
		})
	}
}

func TestDigestsRoundTrip(t *testing.T) {
	in := map[string]string{"secret/b": "0123456789abcdef", "configmap/a": "fedcba9876543210"}
	s := FormatDigests(in)
	if s != "configmap/a=fedcba9876543210,secret/b=0123456789abcdef" {
		t.Errorf("FormatDigests = %q, want sorted entries", s)
	}
	if out := ParseDigests(s); !maps.Equal(in, out) {
		t.Errorf("ParseDigests(FormatDigests(x)) = %v, want %v", out, in)
	}
	if out := ParseDigests(""); len(out) != 0 {
		t.Errorf("ParseDigests(\"\") = %v, want empty", out)
	}
}
