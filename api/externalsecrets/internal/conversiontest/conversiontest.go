package conversiontest

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/conversion"
	"sigs.k8s.io/randfill"
	"sigs.k8s.io/yaml"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// Filler returns a randfill.Filler driven by a fuzzer's bytes. It fills ObjectMeta only with
// the fields a user sets, and never with the conversion annotation, which conversions own.
// How sparse the objects are depends on the input's length, so that both full objects and
// objects with few fields are tried.
func Filler(data []byte) *randfill.Filler {
	nilChance := float64(len(data)%5) / 5
	return randfill.NewFromGoFuzz(data).NilChance(nilChance).NumElements(0, 3).Funcs(
		func(meta *metav1.ObjectMeta, c randfill.Continue) {
			c.Fill(&meta.Name)
			c.Fill(&meta.Namespace)
			c.Fill(&meta.Labels)
			c.Fill(&meta.Annotations)
			delete(meta.Annotations, esv1.AnnotationConversionData)
			c.Fill(&meta.UID)
			c.Fill(&meta.ResourceVersion)
			c.Fill(&meta.Generation)
		},
	)
}

// JSON encodes obj, failing t when it cannot.
func JSON(t testing.TB, obj any) string {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatalf("cannot encode %T: %v", obj, err)
	}
	return string(raw)
}

// KeptSections returns the names of the sections that the conversion annotation in meta keeps
// for version, sorted; nil when there are none.
func KeptSections(t testing.TB, meta metav1.ObjectMeta, version string) []string {
	t.Helper()
	raw, ok := meta.Annotations[esv1.AnnotationConversionData]
	if !ok {
		return nil
	}
	var kept map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &kept); err != nil {
		t.Fatalf("the conversion annotation is not JSON: %v", err)
	}
	return slices.Sorted(maps.Keys(kept[version]))
}

// SpokeRoundTrip converts spoke to hub and hub to back, both freshly allocated, passing hub
// through JSON in between as the API server does, and fails t unless back encodes exactly as
// spoke did and spoke itself is unchanged. It returns the hub.
func SpokeRoundTrip[H conversion.Hub](t testing.TB, spoke conversion.Convertible, hub H,
	back conversion.Convertible,
) H {
	t.Helper()
	before := JSON(t, spoke)
	if err := spoke.ConvertTo(hub); err != nil {
		t.Fatalf("cannot convert to the hub: %v\n%s", err, before)
	}
	if after := JSON(t, spoke); after != before {
		t.Fatalf("the conversion to the hub changed its source:\nbefore %s\nafter  %s", before, after)
	}
	ThroughJSON(t, hub)
	if err := back.ConvertFrom(hub); err != nil {
		t.Fatalf("cannot convert back from the hub: %v\nhub %s", err, JSON(t, hub))
	}
	if got := JSON(t, back); got != before {
		t.Fatalf("the round trip through the hub lost something:\nwant %s\ngot  %s\nhub  %s",
			before, got, JSON(t, hub))
	}
	return hub
}

// HubRoundTrip converts hub to spoke and spoke to back, both freshly allocated, passing spoke
// through JSON in between as the API server does, and fails t unless back encodes exactly as
// hub did and hub itself is unchanged. It returns the spoke.
func HubRoundTrip[S conversion.Convertible](t testing.TB, hub conversion.Hub, spoke S,
	back conversion.Hub,
) S {
	t.Helper()
	before := JSON(t, hub)
	if err := spoke.ConvertFrom(hub); err != nil {
		t.Fatalf("cannot convert from the hub: %v\n%s", err, before)
	}
	if after := JSON(t, hub); after != before {
		t.Fatalf("the conversion from the hub changed the hub:\nbefore %s\nafter  %s", before, after)
	}
	ThroughJSON(t, spoke)
	if err := spoke.ConvertTo(back); err != nil {
		t.Fatalf("cannot convert back to the hub: %v\nspoke %s", err, JSON(t, spoke))
	}
	if got := JSON(t, back); got != before {
		t.Fatalf("the round trip through %T lost something:\nwant  %s\ngot   %s\nspoke %s",
			spoke, before, got, JSON(t, spoke))
	}
	return spoke
}

// ThroughJSON replaces *obj with the decoding of its JSON: what the API server stores and
// sends, where an empty list left out of the JSON comes back as no list.
func ThroughJSON(t testing.TB, obj any) {
	t.Helper()
	raw := JSON(t, obj)
	value := reflect.ValueOf(obj).Elem()
	value.Set(reflect.Zero(value.Type()))
	if err := json.Unmarshal([]byte(raw), obj); err != nil {
		t.Fatalf("cannot decode %T: %v", obj, err)
	}
}

// crdFiles names the generated CRD file of each kind.
var crdFiles = map[string]string{
	"ExternalSecret":     "external-secrets.io_externalsecrets.yaml",
	"SecretStore":        "external-secrets.io_secretstores.yaml",
	"ClusterSecretStore": "external-secrets.io_clustersecretstores.yaml",
}

// ApplyDefaults fills obj's missing fields with the defaults of the generated CRD schema of
// its kind and version, as the API server does when it decodes a request or reads storage.
func ApplyDefaults(t testing.TB, kind, version string, obj any) {
	t.Helper()
	schema := crdSchema(t, kind, version)
	raw := JSON(t, obj)
	var value map[string]any
	if err := json.Unmarshal([]byte(raw), &value); err != nil {
		t.Fatalf("cannot decode %T: %v", obj, err)
	}
	for name, prop := range schema.Properties {
		if name != "metadata" {
			defaultField(value, name, &prop)
		}
	}
	defaulted, err := json.Marshal(value)
	if err != nil {
		t.Fatalf("cannot encode the defaulted object: %v", err)
	}
	if err := json.Unmarshal(defaulted, obj); err != nil {
		t.Fatalf("cannot decode the defaulted object: %v", err)
	}
}

// defaultField sets parent[name] to its default when it is missing, then defaults inside it.
func defaultField(parent map[string]any, name string, schema *apiextv1.JSONSchemaProps) {
	if _, ok := parent[name]; !ok && schema.Default != nil {
		var value any
		if err := json.Unmarshal(schema.Default.Raw, &value); err == nil {
			parent[name] = value
		}
	}
	if value, ok := parent[name]; ok {
		defaultValue(value, schema)
	}
}

func defaultValue(value any, schema *apiextv1.JSONSchemaProps) {
	switch v := value.(type) {
	case map[string]any:
		for name, prop := range schema.Properties {
			defaultField(v, name, &prop)
		}
		if schema.AdditionalProperties != nil && schema.AdditionalProperties.Schema != nil {
			for _, child := range v {
				defaultValue(child, schema.AdditionalProperties.Schema)
			}
		}
	case []any:
		if schema.Items != nil && schema.Items.Schema != nil {
			for _, item := range v {
				defaultValue(item, schema.Items.Schema)
			}
		}
	}
}

// crdSchema reads the schema of one version from the generated CRDs in config/crd/bases.
func crdSchema(t testing.TB, kind, version string) *apiextv1.JSONSchemaProps {
	t.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	root := filepath.Join(filepath.Dir(self), "..", "..", "..", "..")
	// G304: the path is the repository's own CRD file, named by a constant table.
	data, err := os.ReadFile(filepath.Join(root, "config", "crd", "bases", crdFiles[kind])) //nolint:gosec
	if err != nil {
		t.Fatalf("cannot read the CRD of %s: %v", kind, err)
	}
	crd := &apiextv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		t.Fatalf("cannot decode the CRD of %s: %v", kind, err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name == version && v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
			return v.Schema.OpenAPIV3Schema
		}
	}
	t.Fatalf("the CRD of %s has no schema of %s", kind, version)
	return nil
}
