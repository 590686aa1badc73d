package chart

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// combo is one set of values and what the chart must render for it.
type combo struct {
	name, values string
	check        func(t *testing.T, objs []*unstructured.Unstructured)
}

// combos are the value combinations users pick: each is linted, rendered, checked and sent
// to the API server.
var combos = []combo{
	{name: "default", values: ``, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		args := deploymentArgs(t, objs)
		wantArgs(t, args, "--webhook=true", "--webhook-cert-mode=self", "--webhook-secret=ferry-webhook-tls",
			"--webhook-service=ferry-webhook", "--webhook-config-name=ferry-validating-webhook", "--leader-elect=true",
			"--metrics-bind-address=:8080", "--metrics-labels=eso", "--rollout=true", "--enable-csi-integration=false")
		noArgs(t, args, "--namespace=")
		noArgs(t, args, "--sharding")
		noArgs(t, args, "--shard-")
		if leaseVerbs(t, one(t, objs, "Role", "ferry-operator"), "list") {
			t.Error("the operator Role lets Ferry list Leases without sharding")
		}
		if rulesMention(one(t, objs, "Role", "ferry-operator"), "configmaps") {
			t.Error("the operator Role grants ConfigMaps without sharding")
		}
		wantArgs(t, args, "--events-bind-address=0")
		noArgs(t, args, "--events-secret=")
		noArgs(t, args, "--unsafe-allow-generic-targets")
		noArgs(t, args, "--generic-target-kinds")
		if grants(one(t, objs, "ClusterRole", "ferry-controller"), "", "configmaps", "create") {
			t.Error("ClusterRole lets Ferry write ConfigMaps with generic targets off")
		}
		if n := len(find(objs, "CustomResourceDefinition", "")); n < 4 {
			t.Errorf("rendered %d CRDs, want every CRD of config/crd/bases", n)
		}
		// The release owns the ValidatingWebhookConfiguration, without webhooks (Ferry fills
		// them in), and Ferry's identity may not create one.
		vwc := one(t, objs, "ValidatingWebhookConfiguration", "ferry-validating-webhook")
		if _, set := vwc.Object["webhooks"]; set {
			t.Error("the chart sets the webhooks of the ValidatingWebhookConfiguration; Ferry keeps them, and an upgrade would reset them")
		}
		if rulesGrant(one(t, objs, "ClusterRole", "ferry-webhook"), "create") {
			t.Error("ClusterRole ferry-webhook grants create (on webhook configurations), which cannot be limited by name")
		}
		if rulesMention(one(t, objs, "ClusterRole", "ferry-controller"), "secretproviderclasspodstatuses") {
			t.Error("ClusterRole grants SecretProviderClassPodStatuses with the CSI integration off")
		}
		// Ferry generates every namespaced generator kind it serves, so it must read each.
		for _, crd := range find(objs, "CustomResourceDefinition", "") {
			plural := nested(t, crd, "spec", "names", "plural").(string)
			if nested(t, crd, "spec", "group") == "generators.external-secrets.io" && nested(t, crd, "spec", "scope") == "Namespaced" &&
				plural != "generatorstates" && !rulesMention(one(t, objs, "ClusterRole", "ferry-controller"), plural) {
				t.Errorf("ClusterRole does not let Ferry read generator kind %s", plural)
			}
		}
		one(t, objs, "ClusterRole", "ferry-webhook")
		one(t, objs, "Role", "ferry-operator")
		svc := one(t, objs, "Service", "ferry-webhook")
		if port := nested(t, svc, "spec", "ports", 0, "port"); port != int64(443) {
			t.Errorf("webhook Service port = %v, want 443 (Ferry injects that port)", port)
		}
		one(t, objs, "Service", "ferry-metrics")
		pdb := one(t, objs, "PodDisruptionBudget", "ferry")
		if v := nested(t, pdb, "spec", "minAvailable"); v != int64(1) {
			t.Errorf("PDB minAvailable = %v, want 1", v)
		}
		if n := len(find(objs, "NetworkPolicy", "")) + len(find(objs, "ServiceMonitor", "")) + len(find(objs, "Certificate", "")) +
			len(find(objs, "PrometheusRule", "")) + len(find(objs, "ConfigMap", "")); n != 0 {
			t.Errorf("default values rendered %d optional objects (NetworkPolicy, ServiceMonitor, Certificate, PrometheusRule, dashboard ConfigMap), want none", n)
		}
	}},
	{name: "sharding", values: `
replicaCount: 3
sharding: {enabled: true, shardCount: 32, key: namespace-name}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		wantArgs(t, deploymentArgs(t, objs), "--sharding=on", "--shard-count=32", "--shard-key=namespace-name", "--leader-elect=true")
		if n := nested(t, one(t, objs, "Deployment", "ferry"), "spec", "replicas"); n != int64(3) {
			t.Errorf("replicas = %v, want 3", n)
		}
		// Member and shard Leases are named after pods: listed, not named in the Role.
		if !leaseVerbs(t, one(t, objs, "Role", "ferry-operator"), "list", "update", "delete") {
			t.Error("the operator Role does not let Ferry list, update and delete Leases")
		}
		// The change relay's ConfigMap, by name.
		role := one(t, objs, "Role", "ferry-operator")
		if !anyRule(role, func(rule map[string][]string) bool {
			return slices.Contains(rule["resources"], "configmaps") && slices.Equal(rule["resourceNames"], []string{"ferry.ferry.dev-changes"}) &&
				containsAll(rule["verbs"], []string{"get", "list", "watch", "update"})
		}) || !grants(role, "", "configmaps", "create") {
			t.Error("the operator Role does not let the replicas create, read, watch and update the change relay's ConfigMap")
		}
	}},
	{name: "namespace-roles-only", values: `
scope: namespace
webhook: {enabled: false}
crds: {install: false}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		for _, o := range objs {
			if o.GetNamespace() == "" {
				t.Errorf("single-namespace mode without webhook rendered the cluster-scoped %s %s, want Roles only", o.GetKind(), o.GetName())
			}
		}
		wantArgs(t, deploymentArgs(t, objs), "--namespaces=chart-namespace-roles-only", "--webhook=false")
		role := one(t, objs, "Role", "ferry-controller")
		if role.GetNamespace() != "chart-namespace-roles-only" {
			t.Errorf("controller Role in namespace %q, want the release namespace", role.GetNamespace())
		}
		if rulesMention(role, "clustersecretstores") || rulesMention(role, "namespaces") {
			t.Error("controller Role grants cluster-scoped kinds in single-namespace mode")
		}
	}},
	{name: "namespaces-list", values: `
scope: {namespaces: [chart-team-b, chart-team-a]}
webhook: {enabled: false}
crds: {install: false}
rollout: {enableCSIIntegration: true}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		wantArgs(t, deploymentArgs(t, objs), "--namespaces=chart-team-a,chart-team-b", "--webhook=false")
		var roles []string
		for _, o := range objs {
			if o.GetNamespace() == "" {
				t.Errorf("namespaced mode without webhook rendered the cluster-scoped %s %s, want Roles only", o.GetKind(), o.GetName())
			}
			if (o.GetKind() == "Role" || o.GetKind() == "RoleBinding") && o.GetName() == "ferry-controller" {
				roles = append(roles, o.GetKind()+"/"+o.GetNamespace())
			}
			if o.GetKind() == "Role" && o.GetName() == "ferry-controller" && !rulesMention(o, "secretproviderclasspodstatuses") {
				t.Errorf("controller Role in %s does not grant SecretProviderClassPodStatuses with the CSI integration on", o.GetNamespace())
			}
		}
		sort.Strings(roles)
		if want := []string{"Role/chart-team-a", "Role/chart-team-b", "RoleBinding/chart-team-a", "RoleBinding/chart-team-b"}; !slices.Equal(roles, want) {
			t.Errorf("controller Roles and bindings = %v, want %v (one of each per listed namespace, none elsewhere)", roles, want)
		}
	}},
	{name: "namespace-other-with-webhook", values: `
scope: namespace
watchNamespace: chart-team-b
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		wantArgs(t, deploymentArgs(t, objs), "--namespaces=chart-team-b", "--webhook=true")
		if role := one(t, objs, "Role", "ferry-controller"); role.GetNamespace() != "chart-team-b" {
			t.Errorf("controller Role in %q, want the served namespace chart-team-b", role.GetNamespace())
		}
		if op := one(t, objs, "Role", "ferry-operator"); op.GetNamespace() != "chart-namespace-other-with-webhook" {
			t.Errorf("operator Role in %q, want the release namespace", op.GetNamespace())
		}
		// The one cluster-wide grant: the CRDs' conversion and Ferry's webhook configuration,
		// by name; and the one cluster-wide object besides the CRDs, that configuration.
		var cluster []string
		for _, o := range objs {
			if o.GetNamespace() == "" && o.GetKind() != "CustomResourceDefinition" {
				cluster = append(cluster, o.GetKind()+"/"+o.GetName())
			}
		}
		sort.Strings(cluster)
		if want := []string{"ClusterRole/ferry-webhook", "ClusterRoleBinding/ferry-webhook",
			"ValidatingWebhookConfiguration/ferry-validating-webhook"}; !slices.Equal(cluster, want) {
			t.Errorf("cluster-scoped objects = %v, want %v", cluster, want)
		}
	}},
	{name: "cert-manager", values: `
webhook: {certManager: {enabled: true, duration: 2160h, renewBefore: 360h}}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		args := deploymentArgs(t, objs)
		wantArgs(t, args, "--webhook-cert-mode=external", "--webhook-cert-dir=/etc/ferry/webhook-certs")
		noArgs(t, args, "--webhook-secret=")
		if n := len(find(objs, "Issuer", "")); n != 2 {
			t.Errorf("rendered %d Issuers, want 2 (self-signed root, CA)", n)
		}
		ca := one(t, objs, "Certificate", "ferry-webhook-ca")
		if nested(t, ca, "spec", "isCA") != true {
			t.Error("CA Certificate is not isCA")
		}
		serving := one(t, objs, "Certificate", "ferry-webhook")
		if got := nested(t, serving, "spec", "secretName"); got != "ferry-webhook-cert" {
			t.Errorf("serving Certificate secretName = %v", got)
		}
		dns, _, _ := unstructured.NestedStringSlice(serving.Object, "spec", "dnsNames")
		if !slices.Contains(dns, "ferry-webhook.chart-cert-manager.svc") {
			t.Errorf("serving Certificate dnsNames = %v, want the webhook Service's name", dns)
		}
		if got := nested(t, serving, "spec", "issuerRef", "name"); got != "ferry-webhook-ca" {
			t.Errorf("serving Certificate issuer = %v, want the chart's CA Issuer", got)
		}
		dep := one(t, objs, "Deployment", "ferry")
		if got := nested(t, dep, "spec", "template", "spec", "volumes", 1, "secret", "secretName"); got != "ferry-webhook-cert" {
			t.Errorf("certificate volume = %v, want the cert-manager Secret", got)
		}
		if rulesMention(one(t, objs, "Role", "ferry-operator"), "ferry-webhook-tls") {
			t.Error("operator Role names the self-managed certificate Secret in cert-manager mode")
		}
	}},
	{name: "cert-manager-issuer", values: `
webhook: {certManager: {enabled: true, issuerRef: {name: corp-ca, kind: ClusterIssuer}}}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		if n := len(find(objs, "Issuer", "")); n != 0 {
			t.Errorf("rendered %d Issuers with issuerRef set, want 0", n)
		}
		serving := one(t, objs, "Certificate", "ferry-webhook")
		if got := nested(t, serving, "spec", "issuerRef", "kind"); got != "ClusterIssuer" {
			t.Errorf("issuerRef kind = %v, want ClusterIssuer", got)
		}
	}},
	{name: "metrics-servicemonitor", values: `
metrics: {labels: low, serviceMonitor: {enabled: true, additionalLabels: {release: prom}, interval: 15s}}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		wantArgs(t, deploymentArgs(t, objs), "--metrics-labels=low")
		sm := one(t, objs, "ServiceMonitor", "ferry")
		if sm.GetLabels()["release"] != "prom" {
			t.Errorf("ServiceMonitor labels = %v, want release=prom", sm.GetLabels())
		}
		if got := nested(t, sm, "spec", "endpoints", 0, "port"); got != "metrics" {
			t.Errorf("ServiceMonitor endpoint port = %v, want metrics", got)
		}
		svc := one(t, objs, "Service", "ferry-metrics")
		sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
		for k, v := range sel {
			if svc.GetLabels()[k] != v {
				t.Errorf("ServiceMonitor selects %s=%s; the metrics Service has %v", k, v, svc.GetLabels())
			}
		}
	}},
	{name: "monitoring", values: `
grafanaDashboard: {enabled: true, annotations: {grafana_folder: Platform}}
prometheusRule:
  enabled: true
  additionalLabels: {release: prom}
  ruleLabels: {team: platform}
  disabledAlerts: [FerryAbsent]
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		cm := one(t, objs, "ConfigMap", "ferry-dashboard")
		if cm.GetLabels()["grafana_dashboard"] != "1" || cm.GetAnnotations()["grafana_folder"] != "Platform" {
			t.Errorf("dashboard ConfigMap labels %v annotations %v, want the sidecar's label and the folder", cm.GetLabels(), cm.GetAnnotations())
		}
		file, err := os.ReadFile(filepath.Join(chartDir, "files", "monitoring", "dashboard.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got := nested(t, cm, "data", "ferry.json"); got != strings.TrimSuffix(string(file), "\n") {
			t.Error("the ConfigMap's ferry.json differs from files/monitoring/dashboard.json")
		}
		rule := one(t, objs, "PrometheusRule", "ferry")
		if rule.GetLabels()["release"] != "prom" {
			t.Errorf("PrometheusRule labels = %v, want release=prom", rule.GetLabels())
		}
		alerts := renderedAlerts(t, rule)
		if _, ok := alerts["FerryAbsent"]; ok {
			t.Error("FerryAbsent rendered though disabledAlerts names it")
		}
		for name, labels := range alerts {
			if labels["team"] != "platform" || labels["severity"] == "" {
				t.Errorf("alert %s labels = %v, want team=platform from ruleLabels and its own severity", name, labels)
			}
		}
		if len(alerts) < 5 {
			t.Errorf("rendered alerts %v, want every alert of files/monitoring/alerts.yaml but FerryAbsent", alerts)
		}
	}},
	{name: "metrics-off", values: `
metrics: {enabled: false}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		wantArgs(t, deploymentArgs(t, objs), "--metrics-bind-address=0")
		if len(find(objs, "Service", "ferry-metrics")) != 0 {
			t.Error("metrics Service rendered with metrics disabled")
		}
	}},
	{name: "network-policy", values: `
networkPolicy:
  enabled: true
  metricsFrom:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}
  egress:
    - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
      ports: [{port: 443, protocol: TCP}]
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		np := one(t, objs, "NetworkPolicy", "ferry")
		types, _, _ := unstructured.NestedStringSlice(np.Object, "spec", "policyTypes")
		if !slices.Equal(types, []string{"Ingress", "Egress"}) {
			t.Errorf("policyTypes = %v", types)
		}
		ingress, _, _ := unstructured.NestedSlice(np.Object, "spec", "ingress")
		if len(ingress) != 3 {
			t.Errorf("ingress rules = %d, want health, webhook and metrics", len(ingress))
		}
		egress, _, _ := unstructured.NestedSlice(np.Object, "spec", "egress")
		if len(egress) != 2 {
			t.Errorf("egress rules = %d, want DNS and the given rule", len(egress))
		}
	}},
	{name: "events", values: `
events:
  enabled: true
  secretName: change-keys
  safetyInterval: 30m
networkPolicy:
  enabled: true
  eventsFrom:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ci}}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		wantArgs(t, deploymentArgs(t, objs), "--events-bind-address=:8082", "--events-secret=change-keys",
			"--events-safety-interval=30m")
		svc := one(t, objs, "Service", "ferry-events")
		if port := nested(t, svc, "spec", "ports", 0, "port"); port != int64(8082) {
			t.Errorf("events Service port = %v, want 8082", port)
		}
		if !rulesMention(one(t, objs, "Role", "ferry-operator"), "change-keys") {
			t.Error("the operator Role does not let Ferry read the change report Secret change-keys")
		}
		ingress, _, _ := unstructured.NestedSlice(one(t, objs, "NetworkPolicy", "ferry").Object, "spec", "ingress")
		if len(ingress) != 4 {
			t.Fatalf("ingress rules = %d, want health, webhook, metrics and events", len(ingress))
		}
		if from := nested(t, one(t, objs, "NetworkPolicy", "ferry"), "spec", "ingress", 3, "from"); from == nil {
			t.Error("the change report port admits any source; want networkPolicy.eventsFrom")
		}
	}},
	{name: "single-replica-no-pdb", values: `
replicaCount: 1
leaderElection: {enabled: false}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		if len(find(objs, "PodDisruptionBudget", "")) != 0 {
			t.Error("PodDisruptionBudget rendered for one replica: it would block every node drain")
		}
		wantArgs(t, deploymentArgs(t, objs), "--leader-elect=false")
		if rulesMention(one(t, objs, "Role", "ferry-operator"), "leases") {
			t.Error("operator Role grants Leases without leader election")
		}
	}},
	{name: "rollout-reloader-flags", values: `
rollout:
  autoReloadAll: true
  namespacesToIgnore: [kube-system, monitoring]
  namespaceSelector: "team in (a,b)"
  ignoreConfigMaps: true
  ignoredWorkloadTypes: [jobs, cronjobs]
  reloadOnDelete: true
  reloadStrategy: env-vars
  stopOnUnhealthy: true
  enableCSIIntegration: true
  alerts: {webhookURLSecret: {name: hooks, key: slack}, sink: slack, additionalInfo: prod-eu}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		args := deploymentArgs(t, objs)
		wantArgs(t, args, "--enable-csi-integration=true", "--auto-reload-all=true", "--namespaces-to-ignore=kube-system,monitoring", "--namespace-selector=team in (a,b)",
			"--ignore-configmaps=true", "--ignore-secrets=false", "--ignored-workload-types=jobs,cronjobs", "--reload-on-delete=true",
			"--reload-on-create=false", "--reload-strategy=env-vars", "--rollout-stop-on-unhealthy=true", "--alert-sink=slack",
			"--alert-additional-info=prod-eu")
		noArgs(t, args, "--alert-webhook-url") // the URL comes from the Secret, never the pod spec
		noArgs(t, args, "--resource-label-selector")
		d := one(t, objs, "Deployment", "ferry")
		containers := nested(t, d, "spec", "template", "spec", "containers").([]any)
		var url map[string]any
		for _, e := range containers[0].(map[string]any)["env"].([]any) {
			if env := e.(map[string]any); env["name"] == "ALERT_WEBHOOK_URL" {
				url = env
			}
		}
		ref, _ := url["valueFrom"].(map[string]any)["secretKeyRef"].(map[string]any)
		if ref["name"] != "hooks" || ref["key"] != "slack" {
			t.Errorf("ALERT_WEBHOOK_URL = %v, want it from Secret hooks, key slack", url)
		}
		if !rulesMention(one(t, objs, "ClusterRole", "ferry-controller"), "rollouts") {
			t.Error("ClusterRole does not grant Argo Rollouts")
		}
		if !rulesMention(one(t, objs, "ClusterRole", "ferry-controller"), "secretproviderclasspodstatuses") {
			t.Error("ClusterRole does not grant SecretProviderClassPodStatuses with the CSI integration on")
		}
	}},
	{name: "generic-targets", values: `
genericTargets:
  enabled: true
  kinds:
  - {group: "", kind: ConfigMap, resource: configmaps}
  - {group: example.com, kind: Widget, resource: widgets}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		wantArgs(t, deploymentArgs(t, objs), "--unsafe-allow-generic-targets=true", "--generic-target-kinds=ConfigMap,example.com/Widget")
		cr := one(t, objs, "ClusterRole", "ferry-controller")
		all := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
		if !grants(cr, "", "configmaps", all...) || !grants(cr, "example.com", "widgets", all...) {
			t.Error("ClusterRole does not grant the listed kinds every verb a target needs")
		}
		if rulesMention(cr, "gadgets") || grants(cr, "", "secrets", "patch") {
			t.Error("ClusterRole grants a kind that is not listed")
		}
	}},
	{name: "pdb-max-unavailable-rollout-off", values: `
replicaCount: 3
podDisruptionBudget: {maxUnavailable: 1}
rollout: {enabled: false}
controllerClass: team-a
logLevel: 2
extraArgs: ["--concurrent=20"]
env: [{name: AWS_REGION, value: eu-west-1}]
serviceAccount: {annotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/ferry"}}
`, check: func(t *testing.T, objs []*unstructured.Unstructured) {
		pdb := one(t, objs, "PodDisruptionBudget", "ferry")
		if v := nested(t, pdb, "spec", "maxUnavailable"); v != int64(1) {
			t.Errorf("PDB maxUnavailable = %v, want 1", v)
		}
		if _, ok := pdb.Object["spec"].(map[string]any)["minAvailable"]; ok {
			t.Error("PDB sets minAvailable and maxUnavailable")
		}
		wantArgs(t, deploymentArgs(t, objs), "--rollout=false", "--controller-class=team-a", "-v=2", "--concurrent=20")
		cr := one(t, objs, "ClusterRole", "ferry-controller")
		if rulesMention(cr, "deployments") {
			t.Error("ClusterRole grants workloads with rollout disabled")
		}
		sa := one(t, objs, "ServiceAccount", "ferry")
		if sa.GetAnnotations()["eks.amazonaws.com/role-arn"] == "" {
			t.Error("ServiceAccount annotations not rendered")
		}
	}},
}

// TestLint runs helm lint --strict on every combination of values.
func TestLint(t *testing.T) {
	for _, c := range combos {
		t.Run(c.name, func(t *testing.T) {
			if out, err := helm("lint", "--strict", chartDir, "--namespace", "chart-"+c.name, "-f", valuesFile(t, c.values)); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}

// TestTemplate renders each combination, checks what it must contain, and sends every object
// to the API server (server-side apply, dry run): schema, defaults, admission and the RBAC
// objects' validity are checked by the server itself.
func TestTemplate(t *testing.T) {
	for _, c := range combos {
		t.Run(c.name, func(t *testing.T) {
			ns := "chart-" + c.name
			objs := render(t, "ferry", ns, c.values)
			checkCommon(t, objs)
			c.check(t, objs)
			if cp == nil {
				return
			}
			ensureNamespace(t, ns, nil)
			ensureNamespace(t, "chart-team-b", nil)
			ensureNamespace(t, "chart-team-a", nil)
			for _, o := range objs {
				switch o.GroupVersionKind().Group {
				case "cert-manager.io", "monitoring.coreos.com":
					// Their CRDs (cert-manager, Prometheus Operator) are not on this control
					// plane; the checks above cover these objects' fields.
					t.Logf("not sent to the API server (its CRD is not installed here): %s %s", o.GetKind(), o.GetName())
					continue
				}
				if err := apply(context.Background(), o, true); err != nil {
					t.Errorf("API server refused %s %s: %v", o.GetKind(), o.GetName(), err)
				}
			}
		})
	}
}

// TestTemplateRefusesContradictions checks that values that cannot work stop helm with a
// message that says what to change.
func TestTemplateRefusesContradictions(t *testing.T) {
	for _, tc := range []struct{ values, want string }{
		{`scope: everywhere`, `scope must be scope.namespaces`},
		{`scope: {namespaces: team-a}`, "scope.namespaces must be a list"},
		{`scope: {namespaces: [Team_A]}`, `"Team_A" is not a namespace name`},
		{`{scope: {namespaces: [team-a]}, rollout: {namespaceSelector: "team=a"}}`, "rollout.namespaceSelector reads Namespaces"},
		{`watchNamespace: team-a`, "watchNamespace is only used with scope=namespace"},
		{`webhook: {enabled: false, certManager: {enabled: true}}`, "webhook.certManager.enabled needs webhook.enabled=true"},
		{`webhook: {certManager: {enabled: true, issuerRef: {kind: ClusterIssuer}}}`, "issuerRef needs a name"},
		{`metrics: {service: {enabled: false}, serviceMonitor: {enabled: true}}`, "needs metrics.service.enabled=true"},
		{`logLevel: 9`, "logLevel is at most 5"},
		{`{sharding: {enabled: true}, leaderElection: {enabled: false}}`, "sharding.enabled needs leaderElection.enabled=true"},
		{`sharding: {key: name}`, `sharding.key must be "namespace" or "namespace-name"`},
		{`metrics: {labels: per-object}`, `metrics.labels must be "eso" or "low"`},
		{`genericTargets: {enabled: true}`, "genericTargets.enabled needs genericTargets.kinds"},
		{`genericTargets: {enabled: true, kinds: [{kind: Widget, resource: widgets}]}`, "needs group"},
	} {
		_, err := helm("template", "ferry", chartDir, "-f", valuesFile(t, tc.values))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("values %q: error = %v, want one containing %q", tc.values, err, tc.want)
		}
	}
}

// checkCommon holds for every combination: the Pod meets the restricted Pod Security
// Standard on paper (the install test has the API server enforce it), every object is labelled
// for the release, and each flag is passed once.
func checkCommon(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	dep := one(t, objs, "Deployment", "ferry")
	if got := nested(t, dep, "spec", "template", "spec", "containers", 0, "securityContext", "allowPrivilegeEscalation"); got != false {
		t.Errorf("allowPrivilegeEscalation = %v", got)
	}
	if got := nested(t, dep, "spec", "template", "spec", "securityContext", "runAsNonRoot"); got != true {
		t.Errorf("runAsNonRoot = %v", got)
	}
	seen := map[string]bool{}
	for _, a := range deploymentArgs(t, objs) {
		name, _, _ := strings.Cut(a, "=")
		if seen[name] && name != "--concurrent" { // extraArgs may repeat a flag on purpose
			t.Errorf("flag %s passed twice", name)
		}
		seen[name] = true
	}
	for _, o := range objs {
		if o.GetLabels()["app.kubernetes.io/instance"] != "ferry" {
			t.Errorf("%s %s lacks the release label", o.GetKind(), o.GetName())
		}
	}
}

func deploymentArgs(t *testing.T, objs []*unstructured.Unstructured) []string {
	t.Helper()
	dep := one(t, objs, "Deployment", "ferry")
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	return args
}

func wantArgs(t *testing.T, args []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(args, w) {
			t.Errorf("args %v lack %s", args, w)
		}
	}
}

func noArgs(t *testing.T, args []string, prefix string) {
	t.Helper()
	for _, a := range args {
		if strings.HasPrefix(a, prefix) {
			t.Errorf("args contain %s", a)
		}
	}
}

// leaseVerbs says whether one rule of role grants all verbs on every Lease (no resourceNames).
func leaseVerbs(t *testing.T, role *unstructured.Unstructured, verbs ...string) bool {
	t.Helper()
	return anyRule(role, func(rule map[string][]string) bool {
		return slices.Contains(rule["resources"], "leases") && len(rule["resourceNames"]) == 0 && containsAll(rule["verbs"], verbs)
	})
}

// grants says whether one rule of role grants every verb on resource of group.
func grants(role *unstructured.Unstructured, group, resource string, verbs ...string) bool {
	return anyRule(role, func(rule map[string][]string) bool {
		return slices.Contains(rule["apiGroups"], group) && slices.Contains(rule["resources"], resource) && containsAll(rule["verbs"], verbs)
	})
}

// rulesMention says whether any rule of a Role or ClusterRole names s (a resource or a resourceName).
func rulesMention(role *unstructured.Unstructured, s string) bool {
	return anyRule(role, func(rule map[string][]string) bool {
		return slices.Contains(rule["resources"], s) || slices.Contains(rule["resourceNames"], s)
	})
}

// anyRule says whether match holds for one rule of role, read as its lists by field.
func anyRule(role *unstructured.Unstructured, match func(rule map[string][]string) bool) bool {
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	for _, r := range rules {
		lists := map[string][]string{}
		for _, field := range []string{"apiGroups", "resources", "resourceNames", "verbs"} {
			lists[field], _, _ = unstructured.NestedStringSlice(r.(map[string]any), field)
		}
		if match(lists) {
			return true
		}
	}
	return false
}

// containsAll says whether granted holds every one of verbs.
func containsAll(granted, verbs []string) bool {
	for _, v := range verbs {
		if !slices.Contains(granted, v) {
			return false
		}
	}
	return true
}

// rulesGrant says whether any rule of role grants verb.
func rulesGrant(role *unstructured.Unstructured, verb string) bool {
	rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
	for _, r := range rules {
		verbs, _, _ := unstructured.NestedStringSlice(r.(map[string]any), "verbs")
		if slices.Contains(verbs, verb) || slices.Contains(verbs, "*") {
			return true
		}
	}
	return false
}

// nested reads a field by path; ints index lists.
func nested(t *testing.T, o *unstructured.Unstructured, path ...any) any {
	t.Helper()
	var cur any = o.Object
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

// TestCRDCopiesAreCurrent keeps the chart's CRDs identical to config/crd/bases, which
// `make generate` copies into the chart.
func TestCRDCopiesAreCurrent(t *testing.T) {
	generated, _ := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	copied, _ := filepath.Glob(filepath.Join(chartDir, "files", "crds", "*.yaml"))
	base := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if !slices.Equal(base(generated), base(copied)) {
		t.Fatalf("chart CRDs %v differ from config/crd/bases %v: run 'make generate'", base(copied), base(generated))
	}
	for _, name := range base(generated) {
		a, _ := os.ReadFile(filepath.Join(root, "config", "crd", "bases", name))
		b, _ := os.ReadFile(filepath.Join(chartDir, "files", "crds", name))
		if !bytes.Equal(a, b) {
			t.Errorf("deploy/charts/ferry/files/crds/%s is stale: run 'make generate'", name)
		}
	}
}

// TestREADMEDocumentsEveryValue checks that every value of values.yaml has a row in the
// chart's README.
func TestREADMEDocumentsEveryValue(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	readme := readme(t)
	for _, key := range leafKeys("", values) {
		if !strings.Contains(readme, "| `"+key+"` |") {
			t.Errorf("value %s has no row in deploy/charts/ferry/README.md", key)
		}
	}
}

// leafKeys lists the dotted paths of values; maps with content are walked, anything else
// (scalars, lists, empty maps) is a leaf. resources and the security contexts are documented
// as a whole.
func leafKeys(prefix string, v map[string]any) []string {
	var keys []string
	for k, val := range v {
		path := strings.TrimPrefix(prefix+"."+k, ".")
		m, isMap := val.(map[string]any)
		wholes := []string{"resources", "podSecurityContext", "securityContext"}
		if isMap && len(m) > 0 && !slices.Contains(wholes, path) {
			keys = append(keys, leafKeys(path, m)...)
			continue
		}
		keys = append(keys, path)
	}
	sort.Strings(keys)
	return keys
}

// TestEveryFlagHasAValue checks that each flag of the ferry binary is set by a value, or named
// in the README as set otherwise.
func TestEveryFlagHasAValue(t *testing.T) {
	cmd := exec.Command(ferryBin, "-h")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run() // -h exits non-zero after printing the flags
	flags := regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`).FindAllStringSubmatch(stderr.String(), -1)
	if len(flags) < 10 {
		t.Fatalf("found %d flags in ferry -h output:\n%s", len(flags), stderr.String())
	}
	readme := readme(t)
	for _, f := range flags {
		name := "--" + f[1]
		if f[1] == "v" {
			name = "-v"
		}
		if !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("flag %s is not in the chart README's flag table", name)
		}
	}
}

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestChartVersionFollowsTheApp checks that the chart's version and appVersion are one version
// (make release sets both from VERSION), that the default image tag is that version, and that
// CHANGELOG.md has a section for it.
func TestChartVersionFollowsTheApp(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		Version    string `json:"version"`
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(raw, &chart); err != nil {
		t.Fatal(err)
	}
	if chart.Version == "" || chart.Version != chart.AppVersion {
		t.Errorf("Chart.yaml version %q, appVersion %q: want one version for both", chart.Version, chart.AppVersion)
	}
	objs := render(t, "ferry", "chart-version", "")
	image := nested(t, one(t, objs, "Deployment", "ferry"), "spec", "template", "spec", "containers", 0, "image")
	if want := "ghcr.io/ferryhq/ferry:" + chart.AppVersion; image != want {
		t.Errorf("default image %v, want %s", image, want)
	}
	changelog, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^## .*\b` + regexp.QuoteMeta(chart.AppVersion) + `\b`).Match(changelog) {
		t.Errorf("CHANGELOG.md has no section heading naming %s", chart.AppVersion)
	}
}
