package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestContainerMemoryLimit(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  int64
		ok    bool
	}{
		{"cgroup v2 limit", map[string]string{"memory.max": "268435456\n"}, 268435456, true},
		{"cgroup v2 without limit", map[string]string{"memory.max": "max\n"}, 0, false},
		{"cgroup v1 limit", map[string]string{"memory/memory.limit_in_bytes": "134217728\n"}, 134217728, true},
		{"cgroup v1 without limit", map[string]string{"memory/memory.limit_in_bytes": "9223372036854771712\n"}, 0, false},
		{"no cgroup files", nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, content := range tt.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, ok := containerMemoryLimit(root)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("containerMemoryLimit = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestGOMEMLIMITWins(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "memory.max"), []byte("268435456"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOMEMLIMIT", "100MiB")
	if got := setMemoryLimit(root); got != 0 {
		t.Fatalf("set a limit of %d despite GOMEMLIMIT", got)
	}
}

func TestGCPercent(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	if got := setGCPercent(); got != defaultGCPercent || debug.SetGCPercent(100) != defaultGCPercent {
		t.Fatalf("GOGC unset: set %d, want %d", got, defaultGCPercent)
	}
	t.Setenv("GOGC", "200")
	debug.SetGCPercent(200) // as the runtime does at start from GOGC
	if got := setGCPercent(); got != 200 {
		t.Fatalf("GOGC=200: left %d", got)
	}
}
