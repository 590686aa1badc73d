package template

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	if err := Check(EngineV2, "config", "host={{ .host | upper }}\n"); err != nil {
		t.Fatalf("valid template refused: %v", err)
	}
	if err := Check(EngineV1, "old", "{{ .x | base64decode | toString }}"); err != nil {
		t.Fatalf("valid v1 template refused: %v", err)
	}
	err := Check(EngineV2, "config", "line one\n{{ .host | nosuchfunc }}")
	if err == nil || !strings.Contains(err.Error(), "config:2") || !strings.Contains(err.Error(), "nosuchfunc") {
		t.Fatalf("unknown function: %v", err)
	}
	if err := Check(EngineV2, "broken", "{{ .host "); err == nil || !strings.Contains(err.Error(), "broken:1") {
		t.Fatalf("syntax error: %v", err)
	}
	if err := Check(EngineV2, "env", "{{ env \"HOME\" }}"); err == nil {
		t.Fatal("a removed function was accepted")
	}
}
