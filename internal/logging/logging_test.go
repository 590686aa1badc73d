package logging

import (
	"bytes"
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
