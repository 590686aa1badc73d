package terraform

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

// hclDirs hold every Terraform file of the repository.
var hclDirs = []string{"deploy/terraform", "examples/terraform"}

// hclSources returns every .tf and .tfvars file under hclDirs, keyed by path.
func hclSources(t *testing.T) map[string][]byte {
	t.Helper()
	sources := map[string][]byte{}
	for _, dir := range hclDirs {
		err := filepath.WalkDir(filepath.Join(root(), dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if ext := filepath.Ext(path); ext == ".tf" || ext == ".tfvars" {
				src, err := os.ReadFile(path)
				sources[path] = src
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(sources) == 0 {
		t.Fatal("no Terraform files found")
	}
	return sources
}

// TestHCLIsCanonicallyFormatted holds every Terraform file to hclwrite's formatting, which
// `terraform fmt` and `tofu fmt` apply: two-space indents, aligned equals signs.
func TestHCLIsCanonicallyFormatted(t *testing.T) {
	for path, src := range hclSources(t) {
		if formatted := hclwrite.Format(src); !bytes.Equal(formatted, src) {
			rel, _ := filepath.Rel(root(), path)
			t.Errorf("%s is not formatted: run `tofu fmt %s` (or terraform fmt)", rel, rel)
		}
	}
}

// TestTofuFmt runs `tofu fmt -check -recursive` on the Terraform folders: OpenTofu's own
// formatter, which also normalises what hclwrite leaves alone. The binary comes from the
// tools cache (`hack/tools.sh tofu`, run by `make tools`); without it the test fails.
func TestTofuFmt(t *testing.T) {
	tofu := filepath.Join(root(), ".cache/bin/tofu")
	if path := os.Getenv("FERRY_TOFU"); path != "" {
		tofu = path
	}
	if _, err := os.Stat(tofu); err != nil {
		t.Fatalf("OpenTofu is not built (%v): run `hack/tools.sh tofu` (or `make tools`), or set FERRY_TOFU to a tofu binary", err)
	}
	args := append([]string{"fmt", "-check", "-diff", "-recursive"}, hclDirs...)
	cmd := exec.Command(tofu, args...)
	cmd.Dir = root()
	// No plugin, registry or state is involved in fmt; keep tofu from looking for any, or for
	// the user's CLI configuration.
	config := filepath.Join(t.TempDir(), "tofurc")
	if err := os.WriteFile(config, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_CLI_CONFIG_FILE="+config)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("tofu %v: %v\n%s", args, err, out)
	}
}
