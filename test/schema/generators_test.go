package schema

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// generatorVersion is the one version of generators.external-secrets.io: ESO serves and
// stores the generator kinds in v1alpha1 only, and so does Ferry.
const generatorVersion = "v1alpha1"

// generatorCRDFiles maps each generator kind Ferry serves to the file `make generate`
// writes its CRD to. The kinds are compared with ESO v2.9's inventory, which lists them.
var generatorCRDFiles = map[string]string{
	"Password":              "generators.external-secrets.io_passwords.yaml",
	"UUID":                  "generators.external-secrets.io_uuids.yaml",
	"Fake":                  "generators.external-secrets.io_fakes.yaml",
	"ECRAuthorizationToken": "generators.external-secrets.io_ecrauthorizationtokens.yaml",
	"STSSessionToken":       "generators.external-secrets.io_stssessiontokens.yaml",
	"VaultDynamicSecret":    "generators.external-secrets.io_vaultdynamicsecrets.yaml",
	"ClusterGenerator":      "generators.external-secrets.io_clustergenerators.yaml",
}

// servedGenerators are the keys of ClusterGenerator's spec.generator union that Ferry
// implements. Reference paths under any other key are skipped; add a key here when Ferry
// starts serving that generator kind.
var servedGenerators = []string{
	"ecrAuthorizationTokenSpec", "fakeSpec", "passwordSpec", "stsSessionTokenSpec", "uuidSpec", "vaultDynamicSecretSpec",
}

// generatorPrefix is the path under which ClusterGenerator holds each kind's spec.
const generatorPrefix = ".spec.generator."

// TestGeneratorCRDsMatchESO compares each generator CRD with ESO's inventory, as
// TestCRDsMatchESO does for the external-secrets.io kinds.
func TestGeneratorCRDsMatchESO(t *testing.T) {
	ref, err := loadReference(referenceFile)
	if err != nil {
		t.Fatalf("cannot load the reference: %v", err)
	}
	for _, kind := range slices.Sorted(maps.Keys(generatorCRDFiles)) {
		t.Run(kind, func(t *testing.T) {
			crd, version := loadGeneratorCRD(t, kind)
			for _, problem := range generatorHeaderProblems(ref, crd, version) {
				t.Error(problem)
			}
			want := servedGeneratorFields(ref.fields[kindVersion{kind, generatorVersion}])
			if len(want) == 0 {
				t.Fatalf("the reference lists no field of %s %s", kind, generatorVersion)
			}
			problems, extras := fieldProblems(want, flatten(version.Schema.OpenAPIV3Schema))
			for _, problem := range problems {
				t.Error(problem)
			}
			for _, extra := range extras {
				t.Log(extra)
			}
		})
	}
}

// TestServedGeneratorsAreCompared checks that every served key of ClusterGenerator's union
// keeps reference paths, so a misspelt key cannot drop a kind from the comparison.
func TestServedGeneratorsAreCompared(t *testing.T) {
	ref, err := loadReference(referenceFile)
	if err != nil {
		t.Fatalf("cannot load the reference: %v", err)
	}
	want := servedGeneratorFields(ref.fields[kindVersion{"ClusterGenerator", generatorVersion}])
	for _, key := range servedGenerators {
		if _, ok := want[generatorPrefix+key]; !ok {
			t.Errorf("the reference has no path %s%s", generatorPrefix, key)
		}
	}
	if _, ok := want[generatorPrefix+"acrAccessTokenSpec"]; ok {
		t.Error("paths of an unserved generator kind are compared")
	}
}

// TestGeneratorComparisonCatchesDifferences breaks one fact of a generator CRD and checks
// that the comparison reports it.
func TestGeneratorComparisonCatchesDifferences(t *testing.T) {
	ref, err := loadReference(referenceFile)
	if err != nil {
		t.Fatalf("cannot load the reference: %v", err)
	}
	tests := []struct {
		kind   string
		path   []string
		breaks func(node *apiextv1.JSONSchemaProps)
		want   string
	}{
		{"Password", []string{"spec", "length"}, func(n *apiextv1.JSONSchemaProps) { n.Default = nil }, "differs .spec.length:"},
		{"ClusterGenerator", []string{"spec", "generator", "passwordSpec"},
			func(n *apiextv1.JSONSchemaProps) { delete(n.Properties, "encoding") }, "missing .spec.generator.passwordSpec.encoding:"},
		{"ClusterGenerator", []string{"spec", "generator"},
			func(n *apiextv1.JSONSchemaProps) { n.MaxProperties = nil }, "differs .spec.generator:"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, version := loadGeneratorCRD(t, tt.kind)
			if !breakNode(version.Schema.OpenAPIV3Schema, tt.path, tt.breaks) {
				t.Fatalf("the CRD has no node at %v", tt.path)
			}
			want := servedGeneratorFields(ref.fields[kindVersion{tt.kind, generatorVersion}])
			problems, _ := fieldProblems(want, flatten(version.Schema.OpenAPIV3Schema))
			for _, p := range problems {
				if strings.HasPrefix(p, tt.want) {
					return
				}
			}
			t.Errorf("no problem starts with %q; got %v", tt.want, problems)
		})
	}
}

// loadGeneratorCRD loads a generator kind's CRD, which must hold exactly generatorVersion.
func loadGeneratorCRD(t *testing.T, kind string) (*apiextv1.CustomResourceDefinition, *apiextv1.CustomResourceDefinitionVersion) {
	t.Helper()
	crd, err := loadCRD(filepath.Join(crdDir, generatorCRDFiles[kind]))
	if err != nil {
		t.Fatalf("cannot load the CRD: %v", err)
	}
	if crd.Spec.Names.Kind != kind {
		t.Fatalf("the CRD file of %s holds kind %s", kind, crd.Spec.Names.Kind)
	}
	if len(crd.Spec.Versions) != 1 {
		t.Errorf("%s has %d versions, want %s only", kind, len(crd.Spec.Versions), generatorVersion)
	}
	version, err := servedSchema(crd, generatorVersion)
	if err != nil {
		t.Fatalf("cannot find the served version: %v", err)
	}
	return crd, version
}

// generatorHeaderProblems is headerProblems for a kind stored in its only version,
// generatorVersion, where ESO stores it too.
func generatorHeaderProblems(ref *reference, crd *apiextv1.CustomResourceDefinition,
	version *apiextv1.CustomResourceDefinitionVersion,
) []string {
	var problems []string
	for _, problem := range headerProblems(ref, crd, version) {
		// headerProblems expects storage in the external-secrets.io hub version.
		if !strings.HasPrefix(problem, "differs storage:") {
			problems = append(problems, problem)
		}
	}
	if !version.Storage {
		problems = append(problems, "differs storage: eso=true ferry=false")
	}
	return problems
}

// servedGeneratorFields drops the reference paths under ClusterGenerator union keys Ferry
// does not serve.
func servedGeneratorFields(fields map[string]field) map[string]field {
	served := map[string]field{}
	for path, f := range fields {
		rest, ok := strings.CutPrefix(path, generatorPrefix)
		if ok {
			key, _, _ := strings.Cut(rest, ".")
			if !slices.Contains(servedGenerators, key) {
				continue
			}
		}
		served[path] = f
	}
	return served
}
