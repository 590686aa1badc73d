package v1

import (
	"encoding/json"
	"slices"
	"strings"
)

// v1 is the hub of conversions: every other version of a kind converts to and from v1, and
// the conversion webhook goes through v1 between any two other versions.

// AnnotationConversionData holds, as JSON, the values of fields that an object's current
// version has no place for, kept by conversions so that converting back restores them. Ferry
// writes it; users and controllers should leave it alone.
const AnnotationConversionData = "ferry.dev/conversion-data"

// ProvidersKeptByConversion names the providers whose block a store's conversion annotation
// holds for another version: a store written at an older version for a provider v1 no
// longer has (alibaba) is stored with an empty spec.provider and its block kept there.
func ProvidersKeptByConversion(annotations map[string]string) []string {
	var kept map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(annotations[AnnotationConversionData]), &kept); err != nil {
		return nil
	}
	var names []string
	for _, sections := range kept {
		for section := range sections {
			if name, ok := strings.CutPrefix(section, "spec.provider."); ok && !strings.Contains(name, ".") && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return names
}

// Hub marks ExternalSecret as the conversion hub.
func (*ExternalSecret) Hub() {}

// Hub marks SecretStore as the conversion hub.
func (*SecretStore) Hub() {}

// Hub marks ClusterSecretStore as the conversion hub.
func (*ClusterSecretStore) Hub() {}
