package terraform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// TestExampleModulesArePinned checks that every registry module of the example has a
// version constraint, and that every local module it uses exists.
func TestExampleModulesArePinned(t *testing.T) {
	dir := filepath.Join(root(), exampleDir)
	bodies := tfFiles(t, dir)
	var usesFerry bool
	for _, name := range sortedKeys(bodies) {
		for _, block := range bodies[name].Blocks {
			if block.Type != "module" {
				continue
			}
			source, diags := block.Body.Attributes["source"].Expr.Value(nil)
			if diags.HasErrors() {
				t.Fatalf("module %q: source is not a literal: %v", block.Labels[0], diags)
			}
			src := source.AsString()
			if strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") {
				local := filepath.Join(dir, src)
				if matches, _ := filepath.Glob(filepath.Join(local, "*.tf")); len(matches) == 0 {
					t.Errorf("module %q: %s holds no .tf file", block.Labels[0], src)
				}
				usesFerry = usesFerry || filepath.Clean(local) == filepath.Join(root(), moduleDir)
				continue
			}
			version, ok := block.Body.Attributes["version"]
			if !ok {
				t.Errorf("module %q (%s) has no version constraint", block.Labels[0], src)
				continue
			}
			if v, diags := version.Expr.Value(nil); diags.HasErrors() || v.AsString() == "" {
				t.Errorf("module %q: version is not a literal constraint", block.Labels[0])
			}
		}
	}
	if !usesFerry {
		t.Errorf("the example does not use %s", moduleDir)
	}
}

// TestExampleManifestsMatchTheTerraform decodes the example's manifests strictly into
// Ferry's API types, and checks them against the Terraform: the ExternalSecret reads the
// secret Terraform creates, in the namespace and region it uses, through the
// ClusterSecretStore of the manifests.
func TestExampleManifestsMatchTheTerraform(t *testing.T) {
	dir := filepath.Join(root(), exampleDir)
	bodies := tfFiles(t, dir)
	project := variableDefault(t, bodies, "project").AsString()
	region := variableDefault(t, bodies, "region").AsString()
	secret := findBlock(bodies, "resource", "aws_secretsmanager_secret", "example")
	if secret == nil {
		t.Fatal(`no resource "aws_secretsmanager_secret" "example"`)
	}
	if !references(secret.Body.Attributes["name"].Expr, "var", "project") {
		t.Fatal(`aws_secretsmanager_secret "example" is not named var.project`)
	}

	var store esv1.ClusterSecretStore
	var es esv1.ExternalSecret
	var app appsv1.Deployment
	decodeStrict(t, filepath.Join(dir, "manifests/10-clustersecretstore.yaml"), &store)
	decodeStrict(t, filepath.Join(dir, "manifests/20-externalsecret.yaml"), &es)
	decodeStrict(t, filepath.Join(dir, "manifests/30-deployment.yaml"), &app)

	if aws := store.Spec.Provider.AWS; aws == nil || aws.Region != region || aws.Auth.JWTAuth != nil || aws.Auth.SecretRef != nil {
		t.Errorf("ClusterSecretStore provider = %+v, want aws in %s with Ferry's own identity (no auth)", store.Spec.Provider.AWS, region)
	}
	if es.Namespace != project || es.Spec.SecretStoreRef.Kind != "ClusterSecretStore" || es.Spec.SecretStoreRef.Name != store.Name {
		t.Errorf("ExternalSecret %s/%s uses %s %s, want namespace %s and ClusterSecretStore %s",
			es.Namespace, es.Name, es.Spec.SecretStoreRef.Kind, es.Spec.SecretStoreRef.Name, project, store.Name)
	}
	if len(es.Spec.DataFrom) != 1 || es.Spec.DataFrom[0].Extract == nil || es.Spec.DataFrom[0].Extract.Key != project {
		t.Errorf("ExternalSecret dataFrom = %+v, want extract of the secret %q", es.Spec.DataFrom, project)
	}
	if app.Namespace != project || app.Annotations["reloader.stakater.com/auto"] != "true" ||
		app.Spec.Template.Spec.Containers[0].EnvFrom[0].SecretRef.Name != es.Spec.Target.Name {
		t.Errorf("Deployment does not read %s with reloader.stakater.com/auto in %s", es.Spec.Target.Name, project)
	}
}

func decodeStrict(t *testing.T, file string, into any) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(raw, into); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}
