package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/testenv"
)

var cp *testenv.ControlPlane

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, func(c *testenv.ControlPlane) { cp = c }))
}

// manifests are small objects of our own: one clean, one with a field the schema lacks,
// one the schema refuses, and files of other kinds.
var manifests = map[string]string{
	"clean.yaml": `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: clean
  namespace: does-not-exist
spec:
  refreshInterval: 15m
  secretStoreRef:
    name: store
    kind: SecretStore
  target:
    name: out
    creationPolicy: Owner
    deletionPolicy: Retain
  data:
  - secretKey: password
    remoteRef:
      key: db
      property: password
      conversionStrategy: Default
      decodingStrategy: None
      metadataPolicy: None
      nullBytePolicy: Ignore
`,
	"unknown-field.yaml": `apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: unknown-field
spec:
  notInTheSchema: true
  provider:
    fake:
      data:
      - key: k
        value: v
---
apiVersion: generators.external-secrets.io/v1alpha1
kind: Password
spec:
  length: 24
`,
	"refused.yaml": `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: refused
spec:
  target:
    creationPolicy: Sometimes
`,
	"deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
`,
	"values.yaml":    "replicaCount: 2\n",
	"dashboard.json": `{"title": "x"}`,
	"README.md":      "# not a manifest\n",
}

func TestCheckDirReportsLossesRefusalsAndSkips(t *testing.T) {
	dir := t.TempDir()
	for name, body := range manifests {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := NewChecker(cp.Config, "default")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := c.CheckDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Outcome{}
	for _, o := range rep.Outcomes {
		if o.Kind == "Password" { // written without a name: checked under a generated one
			o.Name = "pw"
		}
		byName[o.Name] = o
	}
	if len(byName) != 4 {
		t.Fatalf("checked %d objects, want 4: %+v", len(byName), rep.Outcomes)
	}
	clean := byName["clean"]
	if clean.Refused != "" || len(clean.Lost)+len(clean.Changed) > 0 {
		t.Errorf("clean ExternalSecret: refused %q, lost %v, changed %v; want admitted unchanged", clean.Refused, clean.Lost, clean.Changed)
	}
	lossy := byName["unknown-field"]
	if lossy.Refused != "" || !slices.Equal(lossy.Lost, []string{"spec.notInTheSchema"}) {
		t.Errorf("store with an unknown field: refused %q, lost %v; want admitted, lost [spec.notInTheSchema]", lossy.Refused, lossy.Lost)
	}
	if pw := byName["pw"]; pw.Refused != "" || len(pw.Lost) > 0 || !slices.Contains(pw.Added, "spec.allowRepeat") {
		t.Errorf("Password: refused %q, lost %v, added %v; want admitted with the default spec.allowRepeat reported as added", pw.Refused, pw.Lost, pw.Added)
	}
	if r := byName["refused"]; !strings.Contains(r.Refused, "creationPolicy") {
		t.Errorf("ExternalSecret with a bad enum: refusal %q, want one naming creationPolicy", r.Refused)
	}
	for _, f := range []string{"deployment.yaml", "values.yaml", "dashboard.json", "README.md"} {
		if _, ok := rep.Skipped[f]; !ok {
			t.Errorf("%s not reported skipped (skipped: %v)", f, rep.Skipped)
		}
	}
	var out bytes.Buffer
	if !rep.Print(&out) {
		t.Errorf("Print reported no failure for a folder with a loss and a refusal:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "objects: 3 admitted (1 with lost or changed fields), 1 refused; files skipped: 4") {
		t.Errorf("summary line missing or wrong:\n%s", out.String())
	}
}

func TestDiffSeparatesLossesChangesDefaultsAndNulls(t *testing.T) {
	want := map[string]any{"a": int64(1), "b": []any{"x", "y"}, "c": nil, "d": map[string]any{"e": "v"}}
	got := map[string]any{"a": float64(1), "b": []any{"x"}, "d": map[string]any{"e": "w", "f": true}}
	d := &diff{}
	d.compare("spec", want, got)
	if !slices.Equal(d.lost, []string{"spec.b[1]"}) || !slices.Equal(d.changed, []string{"spec.d.e"}) ||
		!slices.Equal(d.added, []string{"spec.d.f"}) || !slices.Equal(d.nulls, []string{"spec.c"}) {
		t.Errorf("lost %v changed %v added %v nulls %v", d.lost, d.changed, d.added, d.nulls)
	}
}
