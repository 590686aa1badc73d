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

// generatorGroup is the API group of the generator kinds.
const generatorGroup = "generators.external-secrets.io"

// generatorCRDFiles maps each kind of generators.external-secrets.io to the file `make
// generate` writes its CRD to: every generator kind ESO v2.9 has, ClusterGenerator (whose
// spec.generator embeds each kind's spec) and GeneratorState. Ferry serves them all, also
// the kinds it does not generate, so each is compared field for field.
var generatorCRDFiles = map[string]string{
	"ACRAccessToken": "generators.external-secrets.io_acraccesstokens.yaml",
	"BeyondtrustWorkloadCredentialsDynamicSecret": "generators.external-secrets.io_" +
		"beyondtrustworkloadcredentialsdynamicsecrets.yaml",
	"CloudsmithAccessToken": "generators.external-secrets.io_cloudsmithaccesstokens.yaml",
	"ClusterGenerator":      "generators.external-secrets.io_clustergenerators.yaml",
	"ECRAuthorizationToken": "generators.external-secrets.io_ecrauthorizationtokens.yaml",
	"Fake":                  "generators.external-secrets.io_fakes.yaml",
	"GCRAccessToken":        "generators.external-secrets.io_gcraccesstokens.yaml",
	"GeneratorState":        "generators.external-secrets.io_generatorstates.yaml",
	"GithubAccessToken":     "generators.external-secrets.io_githubaccesstokens.yaml",
	"GitlabDeployToken":     "generators.external-secrets.io_gitlabdeploytokens.yaml",
	"Grafana":               "generators.external-secrets.io_grafanas.yaml",
	"MFA":                   "generators.external-secrets.io_mfas.yaml",
	"Password":              "generators.external-secrets.io_passwords.yaml",
	"QuayAccessToken":       "generators.external-secrets.io_quayaccesstokens.yaml",
	"SSHKey":                "generators.external-secrets.io_sshkeys.yaml",
	"STSSessionToken":       "generators.external-secrets.io_stssessiontokens.yaml",
	"UUID":                  "generators.external-secrets.io_uuids.yaml",
	"VaultDynamicSecret":    "generators.external-secrets.io_vaultdynamicsecrets.yaml",
	"Webhook":               "generators.external-secrets.io_webhooks.yaml",
}

// TestGeneratorCRDsMatchESO compares each generator CRD with ESO's full inventory, every
// path included: a VaultDynamicSecret's provider and each union member of ClusterGenerator.
func TestGeneratorCRDsMatchESO(t *testing.T) {
	ref, err := loadReference(referenceFile)
	if err != nil {
		t.Fatalf("cannot load the reference: %v", err)
	}
	for _, kind := range slices.Sorted(maps.Keys(generatorCRDFiles)) {
		t.Run(kind, func(t *testing.T) {
			crd, version := loadGeneratorCRD(t, kind)
			compareSingleVersion(t, ref, crd, version)
		})
	}
}

// TestEveryGeneratorKindIsCompared checks that the inventory lists no kind of the
// generators group that TestGeneratorCRDsMatchESO leaves out, and no CRD file is named twice.
func TestEveryGeneratorKindIsCompared(t *testing.T) {
	ref, err := loadReference(referenceFile)
	if err != nil {
		t.Fatalf("cannot load the reference: %v", err)
	}
	var inventory []string
	for kind, header := range ref.kinds {
		if header.group == generatorGroup {
			inventory = append(inventory, kind)
		}
	}
	if got := slices.Sorted(maps.Keys(generatorCRDFiles)); !slices.Equal(got, slices.Sorted(slices.Values(inventory))) {
		t.Errorf("compared kinds %v, the inventory's generator kinds %v", got, slices.Sorted(slices.Values(inventory)))
	}
	files := map[string]string{}
	for kind, file := range generatorCRDFiles {
		if other, dup := files[file]; dup {
			t.Errorf("%s and %s name the same CRD file %s", kind, other, file)
		}
		files[file] = kind
	}
}

// compareSingleVersion reports every difference between a kind ESO serves in one version
// only and the reference: header facts and every field path.
func compareSingleVersion(t *testing.T, ref *reference, crd *apiextv1.CustomResourceDefinition,
	version *apiextv1.CustomResourceDefinitionVersion,
) {
	t.Helper()
	for _, problem := range singleVersionHeaderProblems(ref, crd, version) {
		t.Error(problem)
	}
	want := ref.fields[kindVersion{crd.Spec.Names.Kind, version.Name}]
	if len(want) == 0 {
		t.Fatalf("the reference lists no field of %s %s", crd.Spec.Names.Kind, version.Name)
	}
	problems, extras := fieldProblems(want, flatten(version.Schema.OpenAPIV3Schema))
	for _, problem := range problems {
		t.Error(problem)
	}
	for _, extra := range extras {
		t.Log(extra)
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
		{"ClusterGenerator", []string{"spec", "generator"},
			func(n *apiextv1.JSONSchemaProps) { delete(n.Properties, "mfaSpec") }, "missing .spec.generator.mfaSpec:"},
		{"SSHKey", []string{"spec", "keyType"},
			func(n *apiextv1.JSONSchemaProps) { n.Enum = n.Enum[:1] }, "differs .spec.keyType:"},
		{"GitlabDeployToken", []string{"spec"},
			func(n *apiextv1.JSONSchemaProps) { n.XValidations = nil }, "differs .spec:"},
		{"VaultDynamicSecret", []string{"spec", "provider", "auth", "kubernetes"},
			func(n *apiextv1.JSONSchemaProps) { n.Required = nil }, "differs .spec.provider.auth.kubernetes.role:"},
		{"GeneratorState", []string{"spec"},
			func(n *apiextv1.JSONSchemaProps) { n.Required = nil }, "differs .spec.resource:"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, version := loadGeneratorCRD(t, tt.kind)
			if !breakNode(version.Schema.OpenAPIV3Schema, tt.path, tt.breaks) {
				t.Fatalf("the CRD has no node at %v", tt.path)
			}
			problems, _ := fieldProblems(ref.fields[kindVersion{tt.kind, generatorVersion}],
				flatten(version.Schema.OpenAPIV3Schema))
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

// singleVersionHeaderProblems is headerProblems for a kind that ESO serves and stores in
// one version only (the generator kinds, PushSecret and ClusterPushSecret): Ferry stores it
// in that version too.
func singleVersionHeaderProblems(ref *reference, crd *apiextv1.CustomResourceDefinition,
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

// TestSingleVersionHeaderComparisonCatchesDifferences breaks one header fact of a kind
// served in one version and checks that the comparison reports it.
func TestSingleVersionHeaderComparisonCatchesDifferences(t *testing.T) {
	ref, err := loadReference(referenceFile)
	if err != nil {
		t.Fatalf("cannot load the reference: %v", err)
	}
	tests := []struct {
		kind   string
		header func(crd *apiextv1.CustomResourceDefinition, version *apiextv1.CustomResourceDefinitionVersion)
		want   string
	}{
		{"GeneratorState", func(crd *apiextv1.CustomResourceDefinition, _ *apiextv1.CustomResourceDefinitionVersion) {
			crd.Spec.Names.ShortNames = nil
		}, "differs shortNames:"},
		{"GeneratorState", func(_ *apiextv1.CustomResourceDefinition, version *apiextv1.CustomResourceDefinitionVersion) {
			version.AdditionalPrinterColumns = nil
		}, "differs columns:"},
		{"SSHKey", func(_ *apiextv1.CustomResourceDefinition, version *apiextv1.CustomResourceDefinitionVersion) {
			version.Subresources = nil
		}, "differs subresources:"},
		{"ClusterGenerator", func(crd *apiextv1.CustomResourceDefinition, _ *apiextv1.CustomResourceDefinitionVersion) {
			crd.Spec.Scope = apiextv1.NamespaceScoped
		}, "differs scope:"},
		{"MFA", func(_ *apiextv1.CustomResourceDefinition, version *apiextv1.CustomResourceDefinitionVersion) {
			version.Storage = false
		}, "differs storage:"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.want, func(t *testing.T) {
			crd, version := loadGeneratorCRD(t, tt.kind)
			tt.header(crd, version)
			problems := singleVersionHeaderProblems(ref, crd, version)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, tt.want) }) {
				t.Errorf("no problem starts with %q; got %q", tt.want, problems)
			}
		})
	}
}
