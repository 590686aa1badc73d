package terraform

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"sigs.k8s.io/yaml"
)

// TestModuleREADMEListsEveryVariableAndOutput keeps the README's tables in step with the
// module.
func TestModuleREADMEListsEveryVariableAndOutput(t *testing.T) {
	dir := filepath.Join(root(), moduleDir)
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	bodies := tfFiles(t, dir)
	for _, name := range sortedKeys(bodies) {
		for _, block := range bodies[name].Blocks {
			if block.Type != "variable" && block.Type != "output" {
				continue
			}
			if _, ok := block.Body.Attributes["description"]; !ok {
				t.Errorf("%s %q has no description", block.Type, block.Labels[0])
			}
			if !strings.Contains(string(readme), "| `"+block.Labels[0]+"` |") {
				t.Errorf("README.md has no table row for %s %q", block.Type, block.Labels[0])
			}
		}
	}
}

// TestChartValuesExistInTheChart checks the values the module sets against the chart's
// values.yaml, and that the chart path it defaults to is the chart.
func TestChartValuesExistInTheChart(t *testing.T) {
	bodies := tfFiles(t, filepath.Join(root(), moduleDir))
	var chartValues hclsyntax.Expression
	for _, name := range sortedKeys(bodies) {
		for _, block := range bodies[name].Blocks {
			if attr, ok := block.Body.Attributes["chart_values"]; ok && block.Type == "locals" {
				chartValues = attr.Expr
			}
		}
	}
	if chartValues == nil {
		t.Fatal("no local.chart_values")
	}
	paths := keyPaths(chartValues, "")
	const annotation = "serviceAccount.annotations.eks.amazonaws.com/role-arn"
	if !slices.Contains(paths, annotation) {
		t.Errorf("local.chart_values sets %v, want %s (the key Ferry's AWS provider reads)", paths, annotation)
	}

	raw, err := os.ReadFile(filepath.Join(root(), "deploy/charts/ferry/values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		// Keys below annotations are free-form; the two levels above them must exist.
		parts := strings.SplitN(path, ".", 3)
		section, ok := values[parts[0]].(map[string]any)
		if !ok {
			t.Errorf("values.yaml has no %s (set by the module as %s)", parts[0], path)
			continue
		}
		if len(parts) > 1 {
			if _, ok := section[parts[1]]; !ok {
				t.Errorf("values.yaml has no %s.%s (set by the module as %s)", parts[0], parts[1], path)
			}
		}
	}

	release := findBlock(bodies, "resource", "helm_release", "ferry")
	if release == nil {
		t.Fatal(`no resource "helm_release" "ferry"`)
	}
	// chart = coalesce(var.chart, "${path.module}/...")
	call, ok := release.Body.Attributes["chart"].Expr.(*hclsyntax.FunctionCallExpr)
	if !ok || call.Name != "coalesce" || len(call.Args) != 2 {
		t.Fatal(`helm_release "ferry" chart is not coalesce(var.chart, <default path>)`)
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"path": cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(filepath.Join(root(), moduleDir))}),
	}}
	chartPath, diags := call.Args[1].Value(ctx)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, err := os.Stat(filepath.Join(chartPath.AsString(), "Chart.yaml")); err != nil {
		t.Errorf("the default chart %q is not a chart: %v", chartPath, err)
	}
}

// keyPaths lists the dotted key paths an object expression sets, through conditionals and
// merge(): serviceAccount.name, image.tag, ...
func keyPaths(expr hclsyntax.Expression, prefix string) []string {
	switch e := expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		var out []string
		for _, item := range e.Items {
			key, diags := item.KeyExpr.Value(nil)
			if diags.HasErrors() || key.Type() != cty.String {
				continue
			}
			path := key.AsString()
			if prefix != "" {
				path = prefix + "." + path
			}
			if below := keyPaths(item.ValueExpr, path); len(below) > 0 {
				out = append(out, below...)
			} else {
				out = append(out, path)
			}
		}
		return out
	case *hclsyntax.ConditionalExpr:
		return append(keyPaths(e.TrueResult, prefix), keyPaths(e.FalseResult, prefix)...)
	case *hclsyntax.FunctionCallExpr:
		var out []string
		for _, arg := range e.Args {
			out = append(out, keyPaths(arg, prefix)...)
		}
		return out
	}
	return nil
}
