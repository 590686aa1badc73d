package pushsecret

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/storeref"
	"github.com/ferryhq/ferry/internal/template"
)

// pushEntry is one value to push to one store, and the entry status.syncedPushSecrets
// records for it (which a later delete reads).
type pushEntry struct {
	field string // the spec field it comes from, for messages
	data  esv1alpha1.PushSecretData
	value []byte
}

// entriesFor lists what to push to st: every spec.data entry, then every key that the
// spec.dataTo entries aimed at st select and that no spec.data entry names (ESO: explicit
// data overrides dataTo for the same key). Two entries that would write the same remote
// key are refused, naming both.
func entriesFor(ps *esv1alpha1.PushSecret, st store, data map[string][]byte) ([]pushEntry, error) {
	var out []pushEntry
	explicit := map[string]bool{}
	for i, d := range ps.Spec.Data {
		value, err := entryValue(data, d.Match.SecretKey, d.ConversionStrategy)
		if err != nil {
			return nil, fmt.Errorf("spec.data[%d]: %w", i, err)
		}
		explicit[d.Match.SecretKey] = true
		out = append(out, pushEntry{field: fmt.Sprintf("spec.data[%d]", i), data: d, value: value})
	}
	for i, dt := range ps.Spec.DataTo {
		field := fmt.Sprintf("spec.dataTo[%d]", i)
		aimed, err := aimsAt(dt.StoreRef, st)
		if err != nil {
			return nil, failure.Permanent(esv1.ReasonInvalidSpec, "%s.storeRef: %v", field, err)
		}
		if !aimed {
			continue
		}
		entries, err := dataToEntries(field, dt, data, explicit)
		if err != nil {
			return nil, err
		}
		out = append(out, entries...)
	}
	return out, refuseCollisions(out)
}

// aimsAt says whether a dataTo entry's storeRef names st: by name (and kind, SecretStore
// by default) or by the store's labels.
func aimsAt(ref *esv1alpha1.PushSecretStoreRef, st store) (bool, error) {
	if ref == nil {
		return false, fmt.Errorf("required: name the store of spec.secretStoreRefs this entry pushes to")
	}
	kind := storeref.KeyOf(esv1.SecretStoreRef{Kind: ref.Kind}).Kind
	if !strings.HasPrefix(st.key, kind+"/") {
		return false, nil
	}
	switch {
	case ref.Name != "":
		return st.obj.GetName() == ref.Name, nil
	case ref.LabelSelector != nil:
		sel, err := metav1.LabelSelectorAsSelector(ref.LabelSelector)
		if err != nil {
			return false, fmt.Errorf("labelSelector: %w", err)
		}
		return sel.Matches(labels.Set(st.obj.GetLabels())), nil
	}
	return false, fmt.Errorf("set name or labelSelector")
}

// dataToEntries expands one dataTo entry: the keys match.regexp selects (all without one),
// each pushed under its own name after conversionStrategy and rewrite, or, with remoteKey,
// all of them as one JSON object at remoteKey.
func dataToEntries(field string, dt esv1alpha1.PushSecretDataTo, data map[string][]byte, explicit map[string]bool) ([]pushEntry, error) {
	var match *regexp.Regexp
	if dt.Match != nil && dt.Match.RegExp != "" {
		re, err := regexp.Compile(dt.Match.RegExp)
		if err != nil {
			return nil, failure.Permanent(esv1.ReasonInvalidSpec, "%s.match.regexp: %v", field, err)
		}
		match = re
	}
	selected := map[string][]byte{}
	for k, v := range data {
		if !explicit[k] && (match == nil || match.MatchString(k)) {
			selected[k] = v
		}
	}
	if dt.RemoteKey != "" {
		if len(selected) == 0 {
			return nil, nil
		}
		value, err := entryValue(selected, "", dt.ConversionStrategy)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		d := esv1alpha1.PushSecretData{Match: esv1alpha1.PushSecretMatch{RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: dt.RemoteKey}},
			Metadata: dt.Metadata, ConversionStrategy: dt.ConversionStrategy}
		return []pushEntry{{field: field, data: d, value: value}}, nil
	}
	var out []pushEntry
	for _, k := range slices.Sorted(maps.Keys(selected)) {
		name := k
		if dt.ConversionStrategy == esv1alpha1.PushSecretConversionReverseUnicode {
			name = reverseUnicode(name)
		}
		name, err := rewriteName(dt.Rewrite, name)
		if err != nil {
			return nil, failure.Permanent(esv1.ReasonInvalidSpec, "%s.%v", field, err)
		}
		if name == "" {
			return nil, failure.Permanent(esv1.ReasonInvalidSpec, "%s.rewrite: key %q is renamed to an empty remote key", field, k)
		}
		d := esv1alpha1.PushSecretData{Match: esv1alpha1.PushSecretMatch{SecretKey: k, RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: name}},
			Metadata: dt.Metadata, ConversionStrategy: dt.ConversionStrategy}
		out = append(out, pushEntry{field: fmt.Sprintf("%s (key %q)", field, k), data: d, value: selected[k]})
	}
	return out, nil
}

// rewriteName applies the rewrite rules, in order, to one key name: a regexp replaces what
// matches its source with its target ($1 names a group); a transform is a v2 template that
// sees the name as .value.
func rewriteName(rules []esv1alpha1.PushSecretRewrite, name string) (string, error) {
	for i, rule := range rules {
		switch {
		case rule.Regexp != nil:
			re, err := regexp.Compile(rule.Regexp.Source)
			if err != nil {
				return "", fmt.Errorf("rewrite[%d].regexp.source: %w", i, err)
			}
			name = re.ReplaceAllString(name, rule.Regexp.Target)
		case rule.Transform != nil:
			out := map[string][]byte{}
			if err := template.Execute(template.EngineV2, map[string]string{"name": rule.Transform.Template},
				map[string][]byte{"value": []byte(name)}, template.ScopeValues, out); err != nil {
				return "", fmt.Errorf("rewrite[%d].transform.template: %w", i, err)
			}
			name = string(out["name"])
		}
	}
	return name, nil
}

// refuseCollisions fails when two entries would write the same remote key (and property).
func refuseCollisions(entries []pushEntry) error {
	seen := map[string]string{}
	for _, e := range entries {
		key := syncedKey(remoteRef(e.data))
		if first, dup := seen[key]; dup {
			return failure.Permanent(esv1.ReasonInvalidSpec, "%s and %s both push to remote key %q: rename one", first, e.field, key)
		}
		seen[key] = e.field
	}
	return nil
}
