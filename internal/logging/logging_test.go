package logging

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestCapsVerbosity(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, 10)
	log.V(5).Info("kept")
	log.V(8).Info("Response Body", "body", "secret-data")
	log.WithName("client").WithValues("a", 1).V(9).Info("dropped too")
	out := buf.String()
	if !strings.Contains(out, `"msg":"kept"`) {
		t.Fatalf("V(5) line missing: %s", out)
	}
	if strings.Contains(out, "secret-data") || strings.Contains(out, "dropped too") {
		t.Fatalf("a line above the cap was written: %s", out)
	}
}

func TestInfoLevel(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, 0)
	log.Info("info")
	log.V(1).Info("debug")
	if !strings.Contains(buf.String(), "info") || strings.Contains(buf.String(), "debug") {
		t.Fatalf("verbosity 0 output: %s", buf.String())
	}
}

// TestNamesAndValuesInOrder checks that deferred names and values reach the line as zap
// would have written them at once: every name joined in order, every value of the chain,
// and a chain's values not seen by its parent or its siblings.
func TestNamesAndValuesInOrder(t *testing.T) {
	var buf bytes.Buffer
	root := New(&buf, 1)
	parent := root.WithName("controller").WithValues("kind", "ExternalSecret")
	a := parent.WithName("sync").WithValues("name", "a")
	b := parent.WithValues("name", "b")
	kv := []any{"reused", "before"}
	c := parent.WithValues(kv...)
	kv[1] = "after"

	a.Info("first")
	b.V(1).Info("second")
	parent.Error(errors.New("boom"), "third")
	c.Info("fourth")
	root.V(2).Info("dropped")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`"logger":"controller.sync","msg":"first","kind":"ExternalSecret","name":"a"`,
		`"logger":"controller","msg":"second","kind":"ExternalSecret","name":"b"`,
		`"logger":"controller","msg":"third","kind":"ExternalSecret","error":"boom"`,
		`"logger":"controller","msg":"fourth","kind":"ExternalSecret","reused":"before"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d:\n%s\nwant it to contain\n%s", i, lines[i], w)
		}
	}
}

// BenchmarkReconcileLogger is what each reconcile does with its logger when it writes no
// line: the controller's values, then the reconcile's, then a debug line below the level.
func BenchmarkReconcileLogger(b *testing.B) {
	root := New(io.Discard, 0).WithName("externalsecret")
	b.ReportAllocs()
	for b.Loop() {
		log := root.WithValues("controller", "externalsecret", "controllerGroup", "external-secrets.io",
			"controllerKind", "ExternalSecret", "namespace", "bench-01", "name", "es-00001")
		log = log.WithValues("reconcileID", "6f1c7c3e-58a4-4b4e-9a57-0c1d2e3f4a5b")
		log.V(1).Info("Synced")
	}
}
