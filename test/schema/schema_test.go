package schema

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

const (
	// referenceFile is the inventory of ESO v2.9's whole API (every kind, every provider
	// block, v1 and v1beta1), copied from the shared reference. Every path it lists for a
	// compared kind must be in Ferry's schema with the same facts.
	referenceFile = "testdata/eso-v2.9-fields-all.txt"
	// v1alpha1ReferenceFile is the inventory of ESO v0.15.1's v1alpha1 fields, with the providers
	// the shared copy leaves out added from ESO's v1alpha1 Go types (see the file's comments).
	v1alpha1ReferenceFile = "testdata/eso-v1alpha1-fields.txt"
	// storageVersion is the one version Ferry stores; the others convert to and from it.
	storageVersion = "v1"
)

// referenceFiles maps each API version Ferry serves to the inventory that lists its fields.
// Ferry serves all of them, v1beta1 included, which ESO v2.9 no longer serves.
var referenceFiles = map[string]string{
	"v1":       referenceFile,
	"v1beta1":  referenceFile,
	"v1alpha1": v1alpha1ReferenceFile,
}

// crdFiles maps each compared kind to the file `make generate` writes its CRD to.
var crdFiles = map[string]string{
	"ExternalSecret":     "external-secrets.io_externalsecrets.yaml",
	"SecretStore":        "external-secrets.io_secretstores.yaml",
	"ClusterSecretStore": "external-secrets.io_clustersecretstores.yaml",
	// ClusterExternalSecret is served in v1 only (see v1OnlyKinds).
	"ClusterExternalSecret": "external-secrets.io_clusterexternalsecrets.yaml",
}

// v1OnlyKinds are served in v1 only: ESO never served them in v1alpha1, and Ferry does not
// serve their v1beta1 shape.
var v1OnlyKinds = map[string]bool{"ClusterExternalSecret": true}

// crdDir is where `make generate` writes the CRDs, relative to this package.
var crdDir = filepath.Join("..", "..", "config", "crd", "bases")

// TestCRDsMatchESO compares each served version of the generated CRDs with ESO's field
// inventory of that version: every reference path, under every provider, must exist in
// Ferry's schema with the same facts. Extra paths in Ferry's schema are allowed and only
// logged.
func TestCRDsMatchESO(t *testing.T) {
	for _, versionName := range slices.Sorted(maps.Keys(referenceFiles)) {
		ref, err := loadReference(referenceFiles[versionName])
		if err != nil {
			t.Fatalf("cannot load the reference of %s: %v", versionName, err)
		}
		for _, kind := range slices.Sorted(maps.Keys(crdFiles)) {
			if v1OnlyKinds[kind] && versionName != "v1" {
				continue
			}
			t.Run(versionName+"/"+kind, func(t *testing.T) {
				crd, version := loadServedCRD(t, kind, versionName)
				for _, problem := range headerProblems(ref, crd, version) {
					t.Error(problem)
				}
				want := ref.fields[kindVersion{kind, version.Name}]
				if len(want) == 0 {
					t.Fatalf("the reference lists no field of %s %s", kind, version.Name)
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
}

// TestCRDsHoldEveryVersion checks that each CRD has exactly the versions Ferry serves, so a
// version cannot drop out of the comparison above unnoticed.
func TestCRDsHoldEveryVersion(t *testing.T) {
	want := slices.Sorted(maps.Keys(referenceFiles))
	for _, kind := range slices.Sorted(maps.Keys(crdFiles)) {
		crd, err := loadCRD(filepath.Join(crdDir, crdFiles[kind]))
		if err != nil {
			t.Fatalf("cannot load the CRD: %v", err)
		}
		var got []string
		for _, version := range crd.Spec.Versions {
			got = append(got, version.Name)
		}
		wantKind := want
		if v1OnlyKinds[kind] {
			wantKind = []string{"v1"}
		}
		if slices.Sort(got); !slices.Equal(got, wantKind) {
			t.Errorf("%s has versions %v, want %v", kind, got, wantKind)
		}
	}
}

// loadServedCRD loads the generated CRD of kind and its version named versionName.
func loadServedCRD(t *testing.T, kind, versionName string) (
	*apiextv1.CustomResourceDefinition, *apiextv1.CustomResourceDefinitionVersion,
) {
	t.Helper()
	crd, err := loadCRD(filepath.Join(crdDir, crdFiles[kind]))
	if err != nil {
		t.Fatalf("cannot load the CRD: %v", err)
	}
	if crd.Spec.Names.Kind != kind {
		t.Fatalf("the CRD file of %s holds kind %s", kind, crd.Spec.Names.Kind)
	}
	version, err := servedSchema(crd, versionName)
	if err != nil {
		t.Fatalf("cannot find the served version: %v", err)
	}
	return crd, version
}

// headerProblems compares the facts of the reference's header lines (names, scope,
// subresources, printer columns, storage) and returns one line per difference. Served is not
// compared with the reference: Ferry serves every version.
func headerProblems(ref *reference, crd *apiextv1.CustomResourceDefinition,
	version *apiextv1.CustomResourceDefinitionVersion,
) []string {
	kind := crd.Spec.Names.Kind
	want, ok := ref.kinds[kind]
	if !ok {
		return []string{fmt.Sprintf("the reference has no header for kind %s", kind)}
	}
	var problems []string
	differs := func(fact string, eso, ferry any) {
		problems = append(problems, fmt.Sprintf("differs %s: eso=%v ferry=%v", fact, eso, ferry))
	}
	if crd.Spec.Group != want.group {
		differs("group", want.group, crd.Spec.Group)
	}
	if string(crd.Spec.Scope) != want.scope {
		differs("scope", want.scope, crd.Spec.Scope)
	}
	if !sameSet(crd.Spec.Names.ShortNames, want.shortNames) {
		differs("shortNames", want.shortNames, crd.Spec.Names.ShortNames)
	}
	if !sameSet(crd.Spec.Names.Categories, want.categories) {
		differs("categories", want.categories, crd.Spec.Names.Categories)
	}

	wantVersion, ok := ref.versions[kindVersion{kind, version.Name}]
	if !ok {
		return append(problems, fmt.Sprintf("the reference has no header for %s %s", kind, version.Name))
	}
	// Ferry serves every version it has, even those ESO no longer serves (v1beta1), so that
	// old manifests apply; it stores only v1, which is also where ESO stores.
	if !version.Served {
		problems = append(problems, fmt.Sprintf("differs served: want=true ferry=%v (eso=%v)",
			version.Served, wantVersion.served))
	}
	// Ferry stores v1 where ESO serves it; a kind ESO serves in one version only
	// (PushSecret) is stored in that version, as in ESO.
	wantStorage := version.Name == storageVersion
	if kind == "PushSecret" {
		wantStorage = wantVersion.storage
	}
	if version.Storage != wantStorage {
		differs("storage", wantVersion.storage, version.Storage)
	}
	if got := subresourceNames(version.Subresources); !sameSet(got, wantVersion.subresources) {
		differs("subresources", wantVersion.subresources, got)
	}
	gotColumns := make([]column, 0, len(version.AdditionalPrinterColumns))
	for _, c := range version.AdditionalPrinterColumns {
		gotColumns = append(gotColumns, column{name: c.Name, jsonPath: c.JSONPath})
	}
	if !slices.Equal(gotColumns, wantVersion.columns) {
		differs("columns", wantVersion.columns, gotColumns)
	}
	return problems
}

// fieldProblems returns one line per reference path that is missing in Ferry's schema or
// differs from it, and one line per path that only Ferry's schema has.
func fieldProblems(want, got map[string]field) (problems, extras []string) {
	for _, path := range slices.Sorted(maps.Keys(want)) {
		ours, ok := got[path]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing %s: eso=[%s]", path, want[path].render()))
		case !want[path].equal(ours):
			problems = append(problems, fmt.Sprintf("differs %s: eso=[%s] ferry=[%s]",
				path, want[path].render(), ours.render()))
		}
	}
	for _, path := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[path]; !ok {
			extras = append(extras, fmt.Sprintf("extra in ferry %s: [%s]", path, got[path].render()))
		}
	}
	return problems, extras
}

// field holds the facts the reference records about one schema node.
type field struct {
	typ      string
	required bool
	// preserveUnknown is x-kubernetes-preserve-unknown-fields; the reference prints it as a
	// word after the type, which is then empty.
	preserveUnknown bool
	enum            []string
	// defaultValue is nil when the field has no default.
	defaultValue *defaultFact
	// other holds the remaining facts by name (minLength, pattern, format, cel, ...).
	other map[string]string
}

// defaultFact is a field's default, as the reference prints it and as a decoded value.
type defaultFact struct {
	text  string
	value any
}

// otherFactOrder is the order the reference prints the remaining facts in; facts unknown
// here follow in alphabetical order.
var otherFactOrder = []string{
	"maxLength", "minLength", "pattern", "format", "minimum", "maximum",
	"maxItems", "minItems", "maxProperties", "minProperties", "cel",
}

// render prints the facts in the reference's format, without kind, version and path.
func (f field) render() string {
	parts := []string{f.typ}
	if f.required {
		parts = append(parts, "required")
	}
	if f.preserveUnknown {
		parts = append(parts, preserveUnknownWord)
	}
	if len(f.enum) > 0 {
		parts = append(parts, "enum="+strings.Join(f.enum, "|"))
	}
	if f.defaultValue != nil {
		parts = append(parts, "default="+f.defaultValue.text)
	}
	names := slices.Sorted(maps.Keys(f.other))
	slices.SortStableFunc(names, func(a, b string) int { return factRank(a) - factRank(b) })
	for _, name := range names {
		parts = append(parts, name+"="+f.other[name])
	}
	return strings.Join(parts, " ")
}

func factRank(name string) int {
	if i := slices.Index(otherFactOrder, name); i >= 0 {
		return i
	}
	return len(otherFactOrder)
}

// equal compares facts, ignoring what carries no meaning: the order of enum values and the
// spelling of a default (key order and spacing of an object, quoting of an empty string),
// which is compared by value.
func (f field) equal(other field) bool {
	if f.typ != other.typ || f.required != other.required || f.preserveUnknown != other.preserveUnknown {
		return false
	}
	if !sameSet(f.enum, other.enum) || !reflect.DeepEqual(f.other, other.other) {
		return false
	}
	if f.defaultValue == nil || other.defaultValue == nil {
		return f.defaultValue == other.defaultValue
	}
	return reflect.DeepEqual(f.defaultValue.value, other.defaultValue.value)
}

// decodeDefault reads a default as the reference prints it. Strings are printed bare and the
// empty string as a pair of single quotes, so a string field's default is taken literally;
// any other default is read as YAML, which also reads the flow style of object defaults.
func decodeDefault(typ, rendered string) (any, error) {
	if typ == "string" {
		if rendered == "''" {
			return "", nil
		}
		return rendered, nil
	}
	var value any
	if err := yaml.Unmarshal([]byte(rendered), &value); err != nil {
		return nil, fmt.Errorf("decode default %q: %w", rendered, err)
	}
	return value, nil
}

// flatten walks a schema into its fields by path: '.name' for properties, '[]' for array
// items and '{}' for map values. The root's apiVersion, kind and metadata are Kubernetes'
// own and are left out, as in the reference.
func flatten(root *apiextv1.JSONSchemaProps) map[string]field {
	fields := map[string]field{}
	var walk func(path string, node *apiextv1.JSONSchemaProps, required bool)
	walk = func(path string, node *apiextv1.JSONSchemaProps, required bool) {
		fields[path] = describe(node, required)
		for name, child := range node.Properties {
			walk(path+"."+name, &child, slices.Contains(node.Required, name))
		}
		if node.Items != nil && node.Items.Schema != nil {
			walk(path+"[]", node.Items.Schema, false)
		}
		if node.AdditionalProperties != nil && node.AdditionalProperties.Schema != nil {
			walk(path+"{}", node.AdditionalProperties.Schema, false)
		}
	}
	for name, child := range root.Properties {
		if name == "apiVersion" || name == "kind" || name == "metadata" {
			continue
		}
		walk("."+name, &child, slices.Contains(root.Required, name))
	}
	return fields
}

// describe renders one schema node's facts.
func describe(node *apiextv1.JSONSchemaProps, required bool) field {
	f := field{typ: node.Type, required: required, other: map[string]string{}}
	if node.XIntOrString {
		f.typ = "int-or-string"
	}
	f.preserveUnknown = node.XPreserveUnknownFields != nil && *node.XPreserveUnknownFields
	for _, value := range node.Enum {
		// The reference joins enum values with '|' and prints the empty string as nothing.
		rendered := renderJSON(value.Raw)
		if string(value.Raw) == `""` {
			rendered = ""
		}
		f.enum = append(f.enum, rendered)
	}
	if node.Default != nil {
		var value any
		if err := json.Unmarshal(node.Default.Raw, &value); err != nil {
			// An undecodable default never equals the reference's; show it as it is.
			value = node.Default.Raw
		}
		f.defaultValue = &defaultFact{text: renderJSON(node.Default.Raw), value: value}
	}
	setInt := func(name string, value *int64) {
		if value != nil {
			f.other[name] = strconv.FormatInt(*value, 10)
		}
	}
	setFloat := func(name string, value *float64) {
		if value != nil {
			f.other[name] = strconv.FormatFloat(*value, 'f', -1, 64)
		}
	}
	setInt("maxLength", node.MaxLength)
	setInt("minLength", node.MinLength)
	setInt("maxItems", node.MaxItems)
	setInt("minItems", node.MinItems)
	setInt("maxProperties", node.MaxProperties)
	setInt("minProperties", node.MinProperties)
	setFloat("minimum", node.Minimum)
	setFloat("maximum", node.Maximum)
	if node.Pattern != "" {
		f.other["pattern"] = node.Pattern
	}
	if node.Format != "" {
		f.other["format"] = node.Format
	}
	if len(node.XValidations) > 0 {
		rules := make([]string, 0, len(node.XValidations))
		for _, rule := range node.XValidations {
			rules = append(rules, rule.Rule)
		}
		f.other["cel"] = strings.Join(rules, ";")
	}
	return f
}

// renderJSON prints a JSON value as the reference does; invalid JSON is printed raw.
func renderJSON(raw []byte) string {
	var value any
	if err := json.Unmarshal(raw, &value); err != nil {
		return string(raw)
	}
	return renderValue(value)
}

// renderValue prints strings bare (a pair of single quotes when empty) and objects in YAML
// flow style with sorted keys, e.g. {creationPolicy: Owner, deletionPolicy: Retain}.
func renderValue(value any) string {
	switch v := value.(type) {
	case string:
		if v == "" {
			return "''"
		}
		return v
	case map[string]any:
		parts := make([]string, 0, len(v))
		for _, key := range slices.Sorted(maps.Keys(v)) {
			parts = append(parts, key+": "+renderValue(v[key]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, 0, len(v))
		for _, item := range v {
			parts = append(parts, renderValue(item))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return "null"
	default:
		return fmt.Sprint(v)
	}
}

// reference is the parsed field inventory.
type reference struct {
	kinds    map[string]kindHeader
	versions map[kindVersion]versionHeader
	fields   map[kindVersion]map[string]field
}

type kindVersion struct{ kind, version string }

type kindHeader struct {
	group, scope           string
	shortNames, categories []string
}

type versionHeader struct {
	served, storage bool
	subresources    []string
	columns         []column
}

// column is a printer column as far as the reference records it.
type column struct{ name, jsonPath string }

var (
	kindHeaderLine = regexp.MustCompile(
		`^# (\S+) group=(\S+) scope=(\S+) short=(\S*) categories=(\S*)$`)
	versionHeaderLine = regexp.MustCompile(
		`^# (\S+) (v\S+) served=(\S+) storage=(\S+) subresources=(\S*) columns=(.*)$`)
)

// loadReference parses the inventory file.
func loadReference(path string) (*reference, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read reference: %w", err)
	}
	ref := &reference{
		kinds:    map[string]kindHeader{},
		versions: map[kindVersion]versionHeader{},
		fields:   map[kindVersion]map[string]field{},
	}
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "#"):
			ref.addHeader(line)
		default:
			key, path, f, err := parseFieldLine(line)
			if err != nil {
				return nil, fmt.Errorf("reference line %d: %w", i+1, err)
			}
			if ref.fields[key] == nil {
				ref.fields[key] = map[string]field{}
			}
			ref.fields[key][path] = f
		}
	}
	return ref, nil
}

// addHeader records a kind or version header line; other comment lines are ignored.
func (r *reference) addHeader(line string) {
	if m := kindHeaderLine.FindStringSubmatch(line); m != nil {
		r.kinds[m[1]] = kindHeader{
			group: m[2], scope: m[3], shortNames: splitList(m[4], ","), categories: splitList(m[5], ","),
		}
		return
	}
	if m := versionHeaderLine.FindStringSubmatch(line); m != nil {
		header := versionHeader{
			served:       strings.EqualFold(m[3], "true"),
			storage:      strings.EqualFold(m[4], "true"),
			subresources: splitList(m[5], ","),
		}
		for _, spec := range splitList(m[6], ";") {
			// A JSONPath holds '=' itself, so only the first one separates the name.
			name, jsonPath, _ := strings.Cut(spec, "=")
			header.columns = append(header.columns, column{name: name, jsonPath: jsonPath})
		}
		r.versions[kindVersion{m[1], m[2]}] = header
	}
}

// preserveUnknownWord is how the reference prints x-kubernetes-preserve-unknown-fields.
const preserveUnknownWord = "preserve-unknown-fields"

// factNames are the key=value facts a field line may carry. Values may hold spaces (a cel
// rule, a pattern, an object default), so a token starts a new fact only when it names one.
var factNames = []string{"enum", "default", "cel"}

// parseFieldLine parses "KIND VERSION PATH TYPE [required] [name=value ...]".
func parseFieldLine(line string) (kindVersion, string, field, error) {
	tokens := strings.Split(line, " ")
	if len(tokens) < 4 {
		return kindVersion{}, "", field{}, fmt.Errorf("want at least 4 words, got %q", line)
	}
	f := field{typ: tokens[3], other: map[string]string{}}
	var current string // name of the fact whose value the next plain token continues
	values := map[string]string{}
	for _, token := range tokens[4:] {
		if token == "required" && current == "" {
			f.required = true
			continue
		}
		if token == preserveUnknownWord && current == "" {
			f.preserveUnknown = true
			continue
		}
		if name, value, ok := strings.Cut(token, "="); ok && isFactName(name) {
			current = name
			values[name] = value
			continue
		}
		if current == "" {
			return kindVersion{}, "", field{}, fmt.Errorf("unexpected word %q in %q", token, line)
		}
		values[current] += " " + token
	}
	for name, value := range values {
		switch name {
		case "enum":
			f.enum = strings.Split(value, "|")
		case "default":
			decoded, err := decodeDefault(f.typ, value)
			if err != nil {
				return kindVersion{}, "", field{}, err
			}
			f.defaultValue = &defaultFact{text: value, value: decoded}
		default:
			f.other[name] = value
		}
	}
	return kindVersion{tokens[0], tokens[1]}, tokens[2], f, nil
}

func isFactName(name string) bool {
	return slices.Contains(factNames, name) || slices.Contains(otherFactOrder, name)
}

// loadCRD reads one generated CRD file.
func loadCRD(path string) (*apiextv1.CustomResourceDefinition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CRD: %w", err)
	}
	crd := &apiextv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		return nil, fmt.Errorf("decode CRD %s: %w", path, err)
	}
	return crd, nil
}

// servedSchema returns the named version of a CRD, which must carry a schema.
func servedSchema(crd *apiextv1.CustomResourceDefinition, name string) (
	*apiextv1.CustomResourceDefinitionVersion, error,
) {
	for i := range crd.Spec.Versions {
		version := &crd.Spec.Versions[i]
		if version.Name != name {
			continue
		}
		if version.Schema == nil || version.Schema.OpenAPIV3Schema == nil {
			return nil, fmt.Errorf("version %s of %s has no schema", name, crd.Name)
		}
		return version, nil
	}
	return nil, fmt.Errorf("CRD %s has no version %s", crd.Name, name)
}

func subresourceNames(sub *apiextv1.CustomResourceSubresources) []string {
	var names []string
	if sub == nil {
		return names
	}
	if sub.Status != nil {
		names = append(names, "status")
	}
	if sub.Scale != nil {
		names = append(names, "scale")
	}
	return names
}

func splitList(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
