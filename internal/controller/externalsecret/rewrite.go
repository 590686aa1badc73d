package externalsecret

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/template"
)

// rewriteRegexp replaces the parts of each key that match source with target ($1 refers to groups).
func rewriteRegexp(rule esv1.ExternalSecretRewriteRegexp, in map[string][]byte) (map[string][]byte, error) {
	re, err := regexp.Compile(rule.Source)
	if err != nil {
		return nil, fmt.Errorf("regexp.source: %w", err)
	}
	out := make(map[string][]byte, len(in))
	for k, v := range in {
		out[re.ReplaceAllString(k, rule.Target)] = v
	}
	return out, nil
}

// rewriteTransform renames each key with a v2 template that sees the key as .value.
func rewriteTransform(rule esv1.ExternalSecretRewriteTransform, in map[string][]byte) (map[string][]byte, error) {
	out := make(map[string][]byte, len(in))
	for _, k := range slices.Sorted(maps.Keys(in)) {
		renamed := map[string][]byte{}
		if err := template.Execute(template.EngineV2, map[string]string{"transform": rule.Template},
			map[string][]byte{"value": []byte(k)}, template.ScopeValues, renamed); err != nil {
			return nil, fmt.Errorf("transform.template: %w", err)
		}
		name := string(renamed["transform"])
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("transform.template: two keys are renamed to the same key")
		}
		out[name] = in[k]
	}
	return out, nil
}

// rewriteMerge reads every value as a JSON object and merges them: strategy Extract hoists
// the merged keys to the top level (replacing the input), strategy JSON stores the merged
// object as JSON under `into`. Keys named in priority are merged last, the first name
// last of all, so it wins; the others merge in key order. A key set to different values
// by two sources is an error with conflictPolicy Error (unless a priority decides it).
func rewriteMerge(rule esv1.ExternalSecretRewriteMerge, in map[string][]byte) (map[string][]byte, error) {
	var order []string
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if !slices.Contains(rule.Priority, k) {
			order = append(order, k)
		}
	}
	for i := len(rule.Priority) - 1; i >= 0; i-- {
		k := rule.Priority[i]
		if _, ok := in[k]; !ok {
			if rule.PriorityPolicy == "IgnoreNotFound" {
				continue
			}
			return nil, fmt.Errorf("merge.priority: key %q is not among the fetched keys (priorityPolicy Strict)", k)
		}
		order = append(order, k)
	}
	merged := map[string]json.RawMessage{}
	setBy := map[string]string{}
	for _, k := range order {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(in[k], &obj); err != nil {
			return nil, fmt.Errorf("merge: the value of key %q is not a JSON object", k)
		}
		for field, v := range obj {
			if prev, ok := merged[field]; ok && string(prev) != string(v) && rule.ConflictPolicy != "Ignore" &&
				!slices.Contains(rule.Priority, k) {
				return nil, fmt.Errorf("merge: field %q is set differently by keys %q and %q (conflictPolicy Error)", field, setBy[field], k)
			}
			merged[field] = v
			setBy[field] = k
		}
	}
	if rule.Strategy == "JSON" {
		if rule.Into == "" {
			return nil, fmt.Errorf("merge.into: required with strategy JSON")
		}
		out, err := json.Marshal(merged)
		if err != nil {
			return nil, err
		}
		return map[string][]byte{rule.Into: out}, nil
	}
	out := make(map[string][]byte, len(merged))
	for field, raw := range merged {
		v, err := rawString(raw)
		if err != nil {
			return nil, err
		}
		out[field] = v
	}
	return out, nil
}

// rawString is a JSON value as Secret bytes: strings unquoted, anything else as JSON text.
func rawString(raw json.RawMessage) ([]byte, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []byte(s), nil
	}
	return slices.Clone(raw), nil
}
