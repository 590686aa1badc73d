package schema

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// TestComparisonCatchesDifferences breaks one fact of a generated CRD at a time and checks
// that the comparison reports it, so that TestCRDsMatchESO cannot pass by comparing nothing.
func TestComparisonCatchesDifferences(t *testing.T) {
	tests := []struct {
		name string
		kind string
		// version is the compared version; empty means the storage version.
		version string
		// path names the node to break: property names, "[]" for array items.
		path   []string
		breaks func(node *apiextv1.JSONSchemaProps)
		// header breaks the CRD or its served version instead of a schema node.
		header func(crd *apiextv1.CustomResourceDefinition, version *apiextv1.CustomResourceDefinitionVersion)
		want   string
	}{
		{
			name: "provider no longer required", kind: "SecretStore", path: []string{"spec"},
			breaks: func(node *apiextv1.JSONSchemaProps) { node.Required = nil },
			want:   "differs .spec.provider:",
		},
		{
			name: "enum value dropped", kind: "ClusterSecretStore",
			path:   []string{"spec", "provider", "aws", "service"},
			breaks: func(node *apiextv1.JSONSchemaProps) { node.Enum = node.Enum[:1] },
			want:   "differs .spec.provider.aws.service:",
		},
		{
			name: "object default changed", kind: "ExternalSecret", path: []string{"spec", "target"},
			breaks: func(node *apiextv1.JSONSchemaProps) {
				node.Default = &apiextv1.JSON{Raw: []byte(`{"creationPolicy":"Orphan","deletionPolicy":"Retain"}`)}
			},
			want: "differs .spec.target:",
		},
		{
			name: "field removed", kind: "SecretStore", path: []string{"spec", "provider", "fake"},
			breaks: func(node *apiextv1.JSONSchemaProps) { delete(node.Properties, "data") },
			want:   "missing .spec.provider.fake.data:",
		},
		{
			name: "field of a provider Ferry does not implement removed", kind: "SecretStore",
			path:   []string{"spec", "provider", "akeyless"},
			breaks: func(node *apiextv1.JSONSchemaProps) { delete(node.Properties, "akeylessGWApiURL") },
			want:   "missing .spec.provider.akeyless.akeylessGWApiURL:",
		},
		{
			name: "cel rule of a provider Ferry does not implement dropped", kind: "ClusterSecretStore",
			path:   []string{"spec", "provider", "openBao", "auth"},
			breaks: func(node *apiextv1.JSONSchemaProps) { node.XValidations = nil },
			want:   "differs .spec.provider.openBao.auth:",
		},
		{
			name: "v1beta1 provider that v1 lacks removed", kind: "SecretStore", version: "v1beta1",
			path:   []string{"spec", "provider"},
			breaks: func(node *apiextv1.JSONSchemaProps) { delete(node.Properties, "alibaba") },
			want:   "missing .spec.provider.alibaba:",
		},
		{
			name: "int-or-string became string", kind: "SecretStore", path: []string{"spec", "refreshInterval"},
			breaks: func(node *apiextv1.JSONSchemaProps) {
				node.XIntOrString, node.AnyOf, node.Type = false, nil, "string"
			},
			want: "differs .spec.refreshInterval:",
		},
		{
			name: "pattern changed", kind: "ExternalSecret", path: []string{"spec", "data", "[]", "secretKey"},
			breaks: func(node *apiextv1.JSONSchemaProps) { node.Pattern = "^.+$" },
			want:   "differs .spec.data[].secretKey:",
		},
		{
			name: "cel rule dropped", kind: "SecretStore",
			path:   []string{"spec", "provider", "aws", "customSessionTags"},
			breaks: func(node *apiextv1.JSONSchemaProps) { node.XValidations = nil },
			want:   "differs .spec.provider.aws.customSessionTags:",
		},
		{
			name: "validation added", kind: "ExternalSecret", path: []string{"spec", "refreshPolicy"},
			breaks: func(node *apiextv1.JSONSchemaProps) { node.MaxLength = new(int64(8)) },
			want:   "differs .spec.refreshPolicy:",
		},
		{
			name: "scope changed", kind: "ClusterSecretStore",
			header: func(crd *apiextv1.CustomResourceDefinition, _ *apiextv1.CustomResourceDefinitionVersion) {
				crd.Spec.Scope = apiextv1.NamespaceScoped
			},
			want: "differs scope:",
		},
		{
			name: "printer column moved", kind: "ExternalSecret",
			header: func(_ *apiextv1.CustomResourceDefinition, version *apiextv1.CustomResourceDefinitionVersion) {
				version.AdditionalPrinterColumns[0].JSONPath = ".spec.secretStoreRef.name"
			},
			want: "differs columns:",
		},
		{
			name: "status subresource dropped", kind: "SecretStore",
			header: func(_ *apiextv1.CustomResourceDefinition, version *apiextv1.CustomResourceDefinitionVersion) {
				version.Subresources = nil
			},
			want: "differs subresources:",
		},
		{
			name: "v1alpha1 dataFrom key no longer required", kind: "ExternalSecret", version: "v1alpha1",
			path:   []string{"spec", "dataFrom", "[]"},
			breaks: func(node *apiextv1.JSONSchemaProps) { node.Required = nil },
			want:   "differs .spec.dataFrom[].key:",
		},
		{
			name: "v1alpha1 engine default changed", kind: "ExternalSecret", version: "v1alpha1",
			path: []string{"spec", "target", "template", "engineVersion"},
			breaks: func(node *apiextv1.JSONSchemaProps) {
				node.Default = &apiextv1.JSON{Raw: []byte(`"v2"`)}
			},
			want: "differs .spec.target.template.engineVersion:",
		},
		{
			name: "v1alpha1 fake valueMap removed", kind: "ClusterSecretStore", version: "v1alpha1",
			path:   []string{"spec", "provider", "fake", "data", "[]"},
			breaks: func(node *apiextv1.JSONSchemaProps) { delete(node.Properties, "valueMap") },
			want:   "missing .spec.provider.fake.data[].valueMap:",
		},
		{
			name: "v1beta1 store refresh interval became int-or-string", kind: "SecretStore", version: "v1beta1",
			path: []string{"spec", "refreshInterval"},
			breaks: func(node *apiextv1.JSONSchemaProps) {
				node.XIntOrString, node.Type = true, ""
			},
			want: "differs .spec.refreshInterval:",
		},
		{
			name: "v1beta1 not served", kind: "ExternalSecret", version: "v1beta1",
			header: func(_ *apiextv1.CustomResourceDefinition, version *apiextv1.CustomResourceDefinitionVersion) {
				version.Served = false
			},
			want: "differs served:",
		},
		{
			name: "v1alpha1 stored", kind: "SecretStore", version: "v1alpha1",
			header: func(_ *apiextv1.CustomResourceDefinition, version *apiextv1.CustomResourceDefinitionVersion) {
				version.Storage = true
			},
			want: "differs storage:",
		},
		{
			name: "v1alpha1 duplicate Store column dropped", kind: "ExternalSecret", version: "v1alpha1",
			header: func(_ *apiextv1.CustomResourceDefinition, version *apiextv1.CustomResourceDefinitionVersion) {
				version.AdditionalPrinterColumns = version.AdditionalPrinterColumns[1:]
			},
			want: "differs columns:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			versionName := cmp.Or(tt.version, storageVersion)
			ref, err := loadReference(referenceFiles[versionName])
			if err != nil {
				t.Fatalf("cannot load the reference: %v", err)
			}
			crd, version := loadServedCRD(t, tt.kind, versionName)
			if tt.header != nil {
				tt.header(crd, version)
			}
			if tt.breaks != nil && !breakNode(version.Schema.OpenAPIV3Schema, tt.path, tt.breaks) {
				t.Fatalf("the CRD has no node at %v", tt.path)
			}
			problems := headerProblems(ref, crd, version)
			fieldIssues, _ := fieldProblems(ref.fields[kindVersion{tt.kind, version.Name}],
				flatten(version.Schema.OpenAPIV3Schema))
			problems = append(problems, fieldIssues...)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, tt.want) }) {
				t.Errorf("no problem starts with %q; got %q", tt.want, problems)
			}
		})
	}
}

// breakNode applies breaks to the node at path; properties are values in their parent's
// map, so each level is written back. It reports whether the path exists.
func breakNode(node *apiextv1.JSONSchemaProps, path []string, breaks func(*apiextv1.JSONSchemaProps)) bool {
	if len(path) == 0 {
		breaks(node)
		return true
	}
	if path[0] == "[]" {
		return node.Items != nil && node.Items.Schema != nil && breakNode(node.Items.Schema, path[1:], breaks)
	}
	child, ok := node.Properties[path[0]]
	if !ok || !breakNode(&child, path[1:], breaks) {
		return false
	}
	node.Properties[path[0]] = child
	return true
}

// TestFieldFacts checks the reading of reference lines and the normalizations the
// comparison allows: spelling of defaults and order of enum values, nothing else.
func TestFieldFacts(t *testing.T) {
	tests := []struct {
		name      string
		reference string
		ours      apiextv1.JSONSchemaProps
		required  bool
		wantEqual bool
	}{
		{
			name:      "object default with other spelling",
			reference: "K v1 .spec.target object default={creationPolicy: Owner, deletionPolicy: Retain}",
			ours: apiextv1.JSONSchemaProps{Type: "object", Default: rawJSON(t,
				map[string]string{"deletionPolicy": "Retain", "creationPolicy": "Owner"})},
			wantEqual: true,
		},
		{
			name:      "object default with another value",
			reference: "K v1 .spec.target object default={creationPolicy: Owner, deletionPolicy: Retain}",
			ours: apiextv1.JSONSchemaProps{Type: "object", Default: rawJSON(t,
				map[string]string{"creationPolicy": "Owner"})},
		},
		{
			name:      "empty string default",
			reference: "K v1 .status.binding.name string default=''",
			ours:      apiextv1.JSONSchemaProps{Type: "string", Default: rawJSON(t, "")},
			wantEqual: true,
		},
		{
			name:      "boolean default is not the string false",
			reference: "K v1 .a boolean default=false",
			ours:      apiextv1.JSONSchemaProps{Type: "boolean", Default: rawJSON(t, "false")},
		},
		{
			name:      "enum in another order",
			reference: "K v1 .a string required enum=Ready|Deleted",
			ours: apiextv1.JSONSchemaProps{Type: "string",
				Enum: []apiextv1.JSON{*rawJSON(t, "Deleted"), *rawJSON(t, "Ready")}},
			required:  true,
			wantEqual: true,
		},
		{
			name:      "enum with the empty string",
			reference: "K v1 .a string enum=|UserPrincipal|Workload",
			ours: apiextv1.JSONSchemaProps{Type: "string", Enum: []apiextv1.JSON{
				*rawJSON(t, ""), *rawJSON(t, "UserPrincipal"), *rawJSON(t, "Workload"),
			}},
			wantEqual: true,
		},
		{
			name:      "enum without the empty string",
			reference: "K v1 .a string enum=|UserPrincipal|Workload",
			ours: apiextv1.JSONSchemaProps{Type: "string", Enum: []apiextv1.JSON{
				*rawJSON(t, "UserPrincipal"), *rawJSON(t, "Workload"),
			}},
		},
		{
			name:      "enum with a value less",
			reference: "K v1 .a string enum=Ready|Deleted",
			ours:      apiextv1.JSONSchemaProps{Type: "string", Enum: []apiextv1.JSON{*rawJSON(t, "Ready")}},
		},
		{
			name:      "not required",
			reference: "K v1 .a string required",
			ours:      apiextv1.JSONSchemaProps{Type: "string"},
		},
		{
			name:      "pattern with spaces",
			reference: `K v1 .a string required minLength=1 pattern=^(@every [^\s]+.*|[^\s]+( [^\s]+){4})$`,
			ours: apiextv1.JSONSchemaProps{Type: "string", MinLength: new(int64(1)),
				Pattern: `^(@every [^\s]+.*|[^\s]+( [^\s]+){4})$`},
			required:  true,
			wantEqual: true,
		},
		{
			name:      "cel rules",
			reference: "K v1 .a object cel=has(self.x) || has(self.y);size(self) == 1",
			ours: apiextv1.JSONSchemaProps{Type: "object", XValidations: apiextv1.ValidationRules{
				{Rule: "has(self.x) || has(self.y)", Message: "x or y"}, {Rule: "size(self) == 1"},
			}},
			wantEqual: true,
		},
		{
			name:      "int-or-string",
			reference: "K v1 .a int-or-string",
			ours: apiextv1.JSONSchemaProps{XIntOrString: true, AnyOf: []apiextv1.JSONSchemaProps{
				{Type: "integer"}, {Type: "string"},
			}},
			wantEqual: true,
		},
		{
			name:      "format missing",
			reference: "K v1 .a string format=date-time",
			ours:      apiextv1.JSONSchemaProps{Type: "string"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, want, err := parseFieldLine(tt.reference)
			if err != nil {
				t.Fatalf("cannot parse the line: %v", err)
			}
			got := describe(&tt.ours, tt.required)
			if want.equal(got) != tt.wantEqual {
				t.Errorf("equal = %t, want %t; reference [%s] ours [%s]",
					!tt.wantEqual, tt.wantEqual, want.render(), got.render())
			}
		})
	}
}

// TestReferencesLoad checks that every inventory in testdata reads and lists the three kinds
// in each version Ferry serves.
func TestReferencesLoad(t *testing.T) {
	tests := []struct {
		file    string
		version string
	}{
		{file: referenceFile, version: "v1"},
		{file: referenceFile, version: "v1beta1"},
		{file: v1alpha1ReferenceFile, version: "v1alpha1"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			ref, err := loadReference(tt.file)
			if err != nil {
				t.Fatalf("cannot load the reference: %v", err)
			}
			for kind := range crdFiles {
				if v1OnlyKinds[kind] && tt.version != "v1" {
					continue
				}
				if _, ok := ref.kinds[kind]; !ok {
					t.Errorf("no header for kind %s", kind)
				}
				if _, ok := ref.versions[kindVersion{kind, tt.version}]; !ok {
					t.Errorf("no header for %s %s", kind, tt.version)
				}
				if len(ref.fields[kindVersion{kind, tt.version}]) == 0 {
					t.Errorf("no fields for %s %s", kind, tt.version)
				}
			}
		})
	}
}

// rawJSON encodes value as a schema's JSON value.
func rawJSON(t *testing.T, value any) *apiextv1.JSON {
	t.Helper()
	raw, err := json.Marshal(value)
	if err != nil {
		t.Fatalf("cannot encode %v: %v", value, err)
	}
	return &apiextv1.JSON{Raw: raw}
}
