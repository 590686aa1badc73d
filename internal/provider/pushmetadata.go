package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// ErrInvalidMetadata marks a PushSecret entry's metadata that a writer cannot act on: a
// key it does not read, a value of the wrong shape. No retry fixes it; the PushSecret is
// InvalidSpec until the metadata changes.
var ErrInvalidMetadata = errors.New("invalid push metadata")

// MetadataAPIVersion and MetadataKind are the envelope External Secrets Operator's
// providers read push metadata in: {apiVersion, kind, spec: {...}}.
const (
	MetadataAPIVersion = "kubernetes.external-secrets.io/v1alpha1"
	MetadataKind       = "PushSecretMetadata"
)

// DecodeMetadata decodes ref.Metadata into spec, a pointer to a struct of the keys the
// provider reads (named by their json tags). It accepts ESO's envelope and, as older ESO
// releases did, the bare spec. A key spec lacks, a value of the wrong type, or an envelope
// of another apiVersion or kind is ErrInvalidMetadata with a message naming the key and
// the keys the provider reads. No metadata leaves spec as it is.
func DecodeMetadata(ref PushRef, providerName string, spec any) error {
	if !HasMetadata(ref) {
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(ref.Metadata.Raw, &top); err != nil {
		return metadataError("metadata: not a JSON object")
	}
	body := ref.Metadata.Raw
	if _, ok := top["spec"]; ok || top["apiVersion"] != nil || top["kind"] != nil {
		var env struct {
			APIVersion string          `json:"apiVersion"`
			Kind       string          `json:"kind"`
			Spec       json.RawMessage `json:"spec"`
		}
		if err := json.Unmarshal(ref.Metadata.Raw, &env); err != nil {
			return metadataError("metadata: apiVersion and kind must be strings")
		}
		if env.APIVersion != MetadataAPIVersion || env.Kind != MetadataKind {
			return metadataError("metadata: apiVersion %q, kind %q: use apiVersion %s, kind %s", env.APIVersion, env.Kind, MetadataAPIVersion, MetadataKind)
		}
		for k := range top {
			if k != "apiVersion" && k != "kind" && k != "spec" {
				return metadataError("metadata.%s: unknown key; the provider's keys go under metadata.spec", k)
			}
		}
		body = env.Spec
		if len(body) == 0 {
			return nil
		}
	}
	known := jsonKeys(spec)
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		return metadataError("metadata.spec: not a JSON object")
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		// Matched as encoding/json matches names, ignoring case, as ESO's providers decode
		// them: ESO's documentation and its code spell some keys differently (kmsKeyID,
		// kmsKeyId), and manifests use both.
		if !slices.ContainsFunc(known, func(name string) bool { return strings.EqualFold(name, k) }) {
			reads := strings.Join(known, ", ")
			if reads == "" {
				reads = "none"
			}
			return metadataError("metadata.spec.%s: the %s provider does not read this key (it reads: %s)", k, providerName, reads)
		}
	}
	if err := json.Unmarshal(body, spec); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return metadataError("metadata.spec.%s: must be a %s", typeErr.Field, typeErr.Type)
		}
		return metadataError("metadata.spec: %v", err)
	}
	return nil
}

// HasMetadata says whether the entry carries metadata at all; writers that leave the
// remote secret's own metadata alone when none is given use it.
func HasMetadata(ref PushRef) bool {
	if ref.Metadata == nil {
		return false
	}
	raw := bytes.TrimSpace(ref.Metadata.Raw)
	return len(raw) > 0 && string(raw) != "null"
}

// RefuseManagedByKey refuses metadata that would set Ferry's own marker (field names the
// map, as metadata.spec.labels): the writer sets it, and a different value would make the
// secret unmanaged.
func RefuseManagedByKey(field string, m map[string]string) error {
	if _, ok := m[ManagedByTag]; ok {
		return metadataError("metadata.spec.%s.%s: set by Ferry itself; remove it", field, ManagedByTag)
	}
	return nil
}

// NoMetadata refuses any metadata: the provider reads none.
func NoMetadata(ref PushRef, providerName string) error {
	return DecodeMetadata(ref, providerName, &struct{}{})
}

func metadataError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMetadata, fmt.Sprintf(format, args...))
}

// jsonKeys lists, sorted, the json names of the fields of the struct spec points to.
func jsonKeys(spec any) []string {
	t := reflect.TypeOf(spec).Elem()
	var keys []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	slices.Sort(keys)
	return keys
}
