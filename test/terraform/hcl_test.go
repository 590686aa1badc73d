package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Paths relative to the module root.
const (
	moduleDir  = "deploy/terraform/ferry-aws"
	exampleDir = "examples/terraform/eks-walkthrough"
	// policyDocument is the data source that holds the role's permissions.
	policyDocument = "ferry"
	// pushVariable gates PushSecret's statements.
	pushVariable = "enable_push_secret"
)

// root returns Ferry's module root, two levels above this file.
func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// tfFiles returns the .tf files of dir, parsed, keyed by file name.
func tfFiles(t *testing.T, dir string) map[string]*hclsyntax.Body {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no .tf files in %s (%v)", dir, err)
	}
	sources := map[string][]byte{}
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sources[filepath.Base(name)] = src
	}
	bodies, err := parseSources(sources)
	if err != nil {
		t.Fatal(err)
	}
	return bodies
}

// parseSources parses HCL sources keyed by file name.
func parseSources(sources map[string][]byte) (map[string]*hclsyntax.Body, error) {
	parser := hclparse.NewParser()
	bodies := map[string]*hclsyntax.Body{}
	for name, src := range sources {
		file, diags := parser.ParseHCL(src, name)
		if diags.HasErrors() {
			return nil, fmt.Errorf("parsing %s: %w", name, diags)
		}
		bodies[name] = file.Body.(*hclsyntax.Body)
	}
	return bodies, nil
}

// findBlock returns the first top-level block of type with labels, in any file.
func findBlock(bodies map[string]*hclsyntax.Body, typ string, labels ...string) *hclsyntax.Block {
	for _, name := range sortedKeys(bodies) {
		for _, block := range bodies[name].Blocks {
			if block.Type == typ && slices.Equal(block.Labels, labels) {
				return block
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// literalLocals evaluates the locals that are literal strings (local.managed_by_key, ...),
// and adds the given locals and variables (var.namespace, ...).
func literalLocals(bodies map[string]*hclsyntax.Body, locals, vars map[string]cty.Value) *hcl.EvalContext {
	values := map[string]cty.Value{}
	for k, v := range locals {
		values[k] = v
	}
	for _, name := range sortedKeys(bodies) {
		for _, block := range bodies[name].Blocks {
			if block.Type != "locals" {
				continue
			}
			for key, attr := range block.Body.Attributes {
				if v, diags := attr.Expr.Value(nil); !diags.HasErrors() && v.Type() == cty.String {
					values[key] = v
				}
			}
		}
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"local": cty.ObjectVal(values)}}
	if vars != nil {
		ctx.Variables["var"] = cty.ObjectVal(vars)
	}
	return ctx
}

// statement is one statement of an aws_iam_policy_document, as written.
type statement struct {
	sid        string
	pos        string
	actions    []string
	push       bool // gated on var.enable_push_secret
	anyResouce bool // resources = ["*"]
	conditions []condition
}

type condition struct {
	test, variable string // variable is "" when it cannot be evaluated statically
	values         []string
}

// statements reads the statement and dynamic "statement" blocks of the policy document.
// Locals that are not literal strings may be given in vars["local"]; vars["var"] are the
// input variables the expressions may use.
func statements(bodies map[string]*hclsyntax.Body, document string, locals, vars map[string]cty.Value) ([]statement, error) {
	block := findBlock(bodies, "data", "aws_iam_policy_document", document)
	if block == nil {
		return nil, fmt.Errorf(`no data "aws_iam_policy_document" %q`, document)
	}
	ctx := literalLocals(bodies, locals, vars)
	var out []statement
	for _, b := range block.Body.Blocks {
		var st statement
		body := b.Body
		switch {
		case b.Type == "statement":
		case b.Type == "dynamic" && slices.Equal(b.Labels, []string{"statement"}):
			if forEach, ok := b.Body.Attributes["for_each"]; ok {
				st.push = references(forEach.Expr, "var", pushVariable)
			}
			content := contentBlock(b.Body)
			if content == nil {
				return nil, fmt.Errorf("%s: dynamic statement without content", b.DefRange())
			}
			body = content.Body
		default:
			continue
		}
		if err := st.read(body, ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", b.DefRange(), err)
		}
		st.pos = b.DefRange().String()
		out = append(out, st)
	}
	return out, nil
}

func contentBlock(body *hclsyntax.Body) *hclsyntax.Block {
	for _, b := range body.Blocks {
		if b.Type == "content" {
			return b
		}
	}
	return nil
}

// references reports whether expr refers to root.name (e.g. var.enable_push_secret).
func references(expr hclsyntax.Expression, root, name string) bool {
	for _, traversal := range expr.Variables() {
		if traversal.RootName() != root || len(traversal) < 2 {
			continue
		}
		if attr, ok := traversal[1].(hcl.TraverseAttr); ok && attr.Name == name {
			return true
		}
	}
	return false
}

func (st *statement) read(body *hclsyntax.Body, ctx *hcl.EvalContext) error {
	if sid, ok := body.Attributes["sid"]; ok {
		if v, diags := sid.Expr.Value(ctx); !diags.HasErrors() {
			st.sid = v.AsString()
		}
	}
	actions, ok := body.Attributes["actions"]
	if !ok {
		return fmt.Errorf("statement %q has no actions", st.sid)
	}
	list, err := stringList(actions.Expr, nil)
	if err != nil {
		return fmt.Errorf("statement %q: actions must be a literal list of strings: %w", st.sid, err)
	}
	st.actions = list
	if resources, ok := body.Attributes["resources"]; ok {
		if list, err := stringList(resources.Expr, nil); err == nil && slices.Equal(list, []string{"*"}) {
			st.anyResouce = true
		}
	}
	for _, b := range body.Blocks {
		if b.Type != "condition" {
			continue
		}
		var c condition
		if v, diags := b.Body.Attributes["test"].Expr.Value(ctx); !diags.HasErrors() {
			c.test = v.AsString()
		}
		if v, diags := b.Body.Attributes["variable"].Expr.Value(ctx); !diags.HasErrors() {
			c.variable = v.AsString()
		}
		c.values, _ = stringList(b.Body.Attributes["values"].Expr, ctx)
		st.conditions = append(st.conditions, c)
	}
	return nil
}

// stringList evaluates expr as a list of strings.
func stringList(expr hclsyntax.Expression, ctx *hcl.EvalContext) ([]string, error) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return nil, diags
	}
	if !v.Type().IsTupleType() && !v.Type().IsListType() {
		return nil, fmt.Errorf("%s is not a list", expr.Range())
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.Type() != cty.String || !e.IsKnown() || e.IsNull() {
			return nil, fmt.Errorf("%s holds a value that is not a string", expr.Range())
		}
		out = append(out, e.AsString())
	}
	return out, nil
}

// diffLists says what want has that got lacks, and the reverse.
func diffLists(got, want []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// variableDefault returns the literal default of variable name.
func variableDefault(t *testing.T, bodies map[string]*hclsyntax.Body, name string) cty.Value {
	t.Helper()
	block := findBlock(bodies, "variable", name)
	if block == nil {
		t.Fatalf("no variable %q", name)
	}
	attr, ok := block.Body.Attributes["default"]
	if !ok {
		t.Fatalf("variable %q has no default", name)
	}
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() {
		t.Fatalf("variable %q: %v", name, diags)
	}
	return v
}
