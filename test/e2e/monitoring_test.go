package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/ferryhq/ferry/internal/testenv"
)

// monitoringExprs returns every PromQL expression of the chart's Grafana dashboard and alert
// rules, by where it comes from.
func monitoringExprs(t *testing.T) map[string]string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "deploy", "charts", "ferry", "files", "monitoring")
	exprs := map[string]string{}
	b, err := os.ReadFile(filepath.Join(dir, "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			exprs["dashboard panel "+p.Title+" "+target.RefID] = target.Expr
		}
	}
	b, err = os.ReadFile(filepath.Join(dir, "alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs["alert "+r.Alert] = r.Expr
		}
	}
	return exprs
}

var (
	promqlStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promqlMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promqlRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlIdent     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promqlOperators = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
		"group_left", "group_right", "inf", "nan", "Inf", "NaN"}
)

// metricNames returns the metric names an expression selects: identifiers outside strings,
// label matchers, ranges and grouping clauses, that are neither keywords nor called as
// functions.
func metricNames(expr string) []string {
	e := promqlStrings.ReplaceAllString(expr, `""`)
	e = promqlMatchers.ReplaceAllString(e, " ")
	e = promqlRanges.ReplaceAllString(e, " ")
	e = promqlGrouping.ReplaceAllString(e, " ")
	var names []string
	for _, loc := range promqlIdent.FindAllStringIndex(e, -1) {
		word := e[loc[0]:loc[1]]
		if loc[0] > 0 && (e[loc[0]-1] >= '0' && e[loc[0]-1] <= '9' || e[loc[0]-1] == '.' || e[loc[0]-1] == '$') {
			continue // part of a number (1e3) or a variable
		}
		if strings.HasPrefix(strings.TrimLeft(e[loc[1]:], " \t\n"), "(") || slices.Contains(promqlOperators, word) {
			continue
		}
		if !slices.Contains(names, word) {
			names = append(names, word)
		}
	}
	sort.Strings(names)
	return names
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`sum by (namespace) (rate(externalsecret_sync_calls_error{job=~"$job"}[$__rate_interval])) / sum by (namespace) (rate(externalsecret_sync_calls_total[5m]))`,
			[]string{"externalsecret_sync_calls_error", "externalsecret_sync_calls_total"}},
		{`histogram_quantile(0.99, sum by (le) (rate(ferry_externalsecret_sync_duration_seconds_bucket[5m])))`,
			[]string{"ferry_externalsecret_sync_duration_seconds_bucket"}},
		{`max by (kind, namespace, name) (ferry_store_status_condition{condition="Ready", status!="True"}) > 0`,
			[]string{"ferry_store_status_condition"}},
		{`absent(ferry_build_info) or vector(1e3) and on (job) up unless count_values("v", x{a="b{c}"})`,
			[]string{"ferry_build_info", "up", "x"}},
	} {
		if got := metricNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("metricNames(%s) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// assertMonitoringMetricsServed fails for every metric the dashboard or the alerts name that
// the running Ferry does not serve (families: a scrape of its /metrics).
func assertMonitoringMetricsServed(t *testing.T, families map[string]float64) {
	t.Helper()
	served := map[string]bool{}
	for series := range families {
		name, _, _ := strings.Cut(series, "{")
		served[name] = true
	}
	exprs := monitoringExprs(t)
	if len(exprs) < 20 {
		t.Fatalf("found %d expressions in the dashboard and alerts, want all of them", len(exprs))
	}
	for where, expr := range exprs {
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric name found in %q", where, expr)
		}
		for _, name := range names {
			if !served[name] {
				t.Errorf("%s uses %s, which Ferry does not serve (expression %q)", where, name, expr)
			}
		}
	}
}
