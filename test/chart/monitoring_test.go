package chart

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/ferryhq/ferry/internal/testenv"
)

// promtoolBin is the pinned promtool (hack/tools.sh promtool), or a test failure saying how
// to build it.
func promtoolBin(t *testing.T) string {
	t.Helper()
	assets, err := testenv.AssetsDir()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(assets, "promtool")
	if _, err := os.Stat(bin); err != nil {
		t.Fatal("promtool not built: run 'hack/tools.sh promtool' (or 'make tools')")
	}
	return bin
}

// promtool runs promtool with args in dir and fails the test with its output on an error.
func promtool(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(promtoolBin(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// renderedRuleGroups renders the chart's PrometheusRule with every alert and writes its groups
// as a Prometheus rule file.
func renderedRuleGroups(t *testing.T, dir string) string {
	t.Helper()
	objs := render(t, "ferry", "monitoring", "prometheusRule: {enabled: true}\n")
	rule := one(t, objs, "PrometheusRule", "ferry")
	groups, ok, err := unstructured.NestedSlice(rule.Object, "spec", "groups")
	if err != nil || !ok || len(groups) == 0 {
		t.Fatalf("PrometheusRule spec.groups: %v %v", ok, err)
	}
	b, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ferry-rules.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAlertRules checks the rendered PrometheusRule's groups with promtool: syntax, PromQL and
// templates (check rules), then what each alert does on made-up series (test rules,
// testdata/alerts-test.yaml): that it fires when it should, with the labels it should, and
// stays quiet otherwise.
func TestAlertRules(t *testing.T) {
	dir := t.TempDir()
	rules := renderedRuleGroups(t, dir)
	out := promtool(t, dir, "check", "rules", "--lint=all", "--lint-fatal", rules)
	if !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool check rules: %s", out)
	}
	tests, err := os.ReadFile(filepath.Join("testdata", "alerts-test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts-test.yaml"), tests, 0o600); err != nil {
		t.Fatal(err)
	}
	promtool(t, dir, "test", "rules", "alerts-test.yaml")
}

// TestDashboardQueries checks that the dashboard is JSON Grafana can load (every panel has a
// data source and at least one query) and that every query is valid PromQL: promtool checks
// each, with Grafana's variables replaced, as a recording rule.
func TestDashboardQueries(t *testing.T) {
	exprs := dashboardExprs(t)
	if len(exprs) < 15 {
		t.Fatalf("the dashboard has %d queries, want the panels of docs/metrics.md", len(exprs))
	}
	var rules []map[string]any
	for i, e := range exprs {
		e = strings.NewReplacer("$__rate_interval", "5m", "$job", ".+").Replace(e)
		rules = append(rules, map[string]any{"record": fmt.Sprintf("ferry:dashboard_query_%d", i), "expr": e})
	}
	b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard-rules.yaml"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	promtool(t, dir, "check", "rules", "dashboard-rules.yaml")
}

// dashboardPanel is what the tests read of a Grafana panel.
type dashboardPanel struct {
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

// dashboardExprs returns every query of the dashboard's panels.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir, "files", "monitoring", "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string           `json:"uid"`
		Title  string           `json:"title"`
		Panels []dashboardPanel `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	if dash.UID == "" || dash.Title == "" {
		t.Error("the dashboard needs a uid and a title for the sidecar to import it")
	}
	var exprs []string
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: data source %+v, %d queries; want ${datasource} and a query", p.Title, p.Datasource, len(p.Targets))
		}
		for _, target := range p.Targets {
			exprs = append(exprs, target.Expr)
		}
	}
	return exprs
}

// renderedAlerts returns the labels of each alert of a rendered PrometheusRule, by name.
func renderedAlerts(t *testing.T, rule *unstructured.Unstructured) map[string]map[string]string {
	t.Helper()
	groups, _, err := unstructured.NestedSlice(rule.Object, "spec", "groups")
	if err != nil {
		t.Fatal(err)
	}
	alerts := map[string]map[string]string{}
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rules {
			m := r.(map[string]any)
			labels, _, _ := unstructured.NestedStringMap(m, "labels")
			alerts[m["alert"].(string)] = labels
		}
	}
	return alerts
}
