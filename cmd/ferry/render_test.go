package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	es := write("es.yaml", `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: prod}
spec:
  secretStoreRef: {name: s}
  target:
    name: app-config
    template:
      type: kubernetes.io/basic-auth
      metadata:
        labels: {owner: "{{ .user }}"}
      data:
        username: "{{ .user }}"
        password: "{{ .pass | upper }}"
      templateFrom:
      - configMap:
          name: tpl
          items: [{key: extra, templateAs: KeysAndValues}]
  dataFrom: [{extract: {key: app}}]
`)
	values := write("values.yaml", "user: admin\npass: s3cret\n")
	cm := write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tpl}\ndata:\n  extra: 'URL: \"https://{{ .user }}.example\"'\n")
	var out bytes.Buffer
	if err := runRender([]string{"-f", es, "--values", values, "--configmap", cm}, &out); err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: v1
kind: Secret
metadata:
  labels:
    owner: admin
  name: app-config
  namespace: prod
stringData:
  URL: https://admin.example
  password: S3CRET
  username: admin
type: kubernetes.io/basic-auth
`
	if out.String() != want {
		t.Errorf("rendered:\n%s\nwant:\n%s", out.String(), want)
	}

	// A missing source and a template error are reported with what to do, no value.
	err := runRender([]string{"-f", es, "--values", values}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "pass it with --configmap") {
		t.Errorf("missing ConfigMap: %v", err)
	}
	bad := write("bad.yaml", strings.Replace(readFile(t, es), "{{ .pass | upper }}", "{{ .nope }}", 1))
	err = runRender([]string{"-f", bad, "--values", values, "--configmap", cm}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "spec.target.template.data") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("template error: %v", err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
