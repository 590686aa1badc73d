package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"sigs.k8s.io/yaml"
)

const (
	version   = "9.8.7-rc.1"
	commit    = "0123456789abcdef0123456789abcdef01234567"
	buildDate = "2026-01-02T03:04:05Z"
	// The plugin's platforms in this test: one per OS, so the cross-OS packaging is covered
	// without four full cross builds in every `make test`.
	platforms = "linux/amd64 darwin/arm64"
)

// TestRelease runs hack/release.sh twice for the same commit and checks what a release
// publishes. A release whose checksums differ between two runs of one commit cannot be
// verified by anyone who rebuilds it; a chart whose version is not the release's would
// install another image.
func TestRelease(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Fatalf("this test runs the linux/amd64 plugin it builds; run it on linux/amd64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	first, second := release(t), release(t)
	sums := checksums(t, first)
	if again := checksums(t, second); !maps.Equal(sums, again) {
		t.Errorf("two releases of one commit differ:\nfirst  %v\nsecond %v", sums, again)
	}

	want := []string{
		"ferry-" + version + ".tgz",
		"ferry-image_" + version + "_linux_amd64.tar",
		"ferry-image_" + version + "_oci-layout.tar",
		"kubectl-ferry_" + version + "_darwin_arm64.tar.gz",
		"kubectl-ferry_" + version + "_linux_amd64.tar.gz",
	}
	for _, name := range want {
		if _, ok := sums[name]; !ok {
			t.Errorf("SHA256SUMS does not list %s (it lists %v)", name, keys(sums))
		}
	}
	if !slices.ContainsFunc(keys(sums), func(n string) bool { return strings.HasSuffix(n, ".spdx.json") }) {
		t.Errorf("no SBOM among %v", keys(sums))
	}

	checkChart(t, filepath.Join(first, "ferry-"+version+".tgz"))
	checkPlugin(t, filepath.Join(first, "kubectl-ferry_"+version+"_linux_amd64.tar.gz"))
	checkImage(t, filepath.Join(first, "ferry-image_"+version+"_linux_amd64.tar"))
}

// release runs hack/release.sh into a fresh directory and returns it.
func release(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	cmd := exec.Command("bash", "hack/release.sh")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "VERSION="+version, "COMMIT="+commit, "BUILD_DATE="+buildDate,
		"DIST="+dist, "PLUGIN_PLATFORMS="+platforms, "IMAGE_REPO=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/release.sh: %v\n%s", err, out)
	}
	return dist
}

// checksums verifies SHA256SUMS against every file beside it and returns it by name.
func checksums(t *testing.T, dist string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q is not `<sha256>  <name>`", sc.Text())
		}
		sums[name] = sum
	}
	entries, err := os.ReadDir(dist)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "SHA256SUMS" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dist, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(data)
		if want, ok := sums[e.Name()]; !ok || want != hex.EncodeToString(got[:]) {
			t.Errorf("%s: sha256 %x, SHA256SUMS says %q", e.Name(), got, want)
		}
	}
	if len(sums) != len(entries)-1 {
		t.Errorf("SHA256SUMS lists %d files, the release holds %d", len(sums), len(entries)-1)
	}
	return sums
}

// checkChart reads the packaged chart: its version and appVersion are the release's, and the
// image it installs by default is tagged with it.
func checkChart(t *testing.T, path string) {
	t.Helper()
	files := untar(t, path)
	var chart struct{ Version, AppVersion string }
	if err := yaml.Unmarshal(files["ferry/Chart.yaml"], &chart); err != nil {
		t.Fatalf("Chart.yaml: %v", err)
	}
	if chart.Version != version || chart.AppVersion != version {
		t.Errorf("chart version %q, appVersion %q; want both %q", chart.Version, chart.AppVersion, version)
	}
	var values struct {
		Image struct{ Tag string } `json:"image"`
	}
	if err := yaml.Unmarshal(files["ferry/values.yaml"], &values); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	if values.Image.Tag != "" && values.Image.Tag != version {
		t.Errorf("values.yaml pins image.tag %q; a release chart must install its own version (empty tag: appVersion)", values.Image.Tag)
	}
	// What a user installs from the package: helm loads it and renders the release's image.
	helm, err := exec.Command("bash", "../../hack/tools.sh", "helm").Output()
	if err != nil {
		t.Fatalf("hack/tools.sh helm: %v", err)
	}
	out, err := exec.Command(filepath.Join(strings.TrimSpace(string(helm)), "helm"), "template", "ferry", path).CombinedOutput()
	if err != nil {
		t.Fatalf("helm template of the packaged chart: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `image: "ghcr.io/ferryhq/ferry:`+version+`"`) {
		t.Errorf("the packaged chart does not render the image ghcr.io/ferryhq/ferry:%s", version)
	}
}

// checkPlugin runs the linux/amd64 kubectl plugin of the release and reads its version.
func checkPlugin(t *testing.T, path string) {
	t.Helper()
	bin, ok := untar(t, path)["kubectl-ferry"]
	if !ok {
		t.Fatalf("%s holds no kubectl-ferry", filepath.Base(path))
	}
	exe := filepath.Join(t.TempDir(), "kubectl-ferry")
	if err := os.WriteFile(exe, bin, 0o755); err != nil { //nolint:gosec // an executable, run just below
		t.Fatal(err)
	}
	out, err := exec.Command(exe, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl-ferry version: %v\n%s", err, out)
	}
	for _, want := range []string{version, commit, buildDate} {
		if !strings.Contains(string(out), want) {
			t.Errorf("kubectl-ferry version printed %q; want it to name %s", out, want)
		}
	}
}

// checkImage reads the docker-load tarball: one linux/amd64 image labelled with the release.
func checkImage(t *testing.T, path string) {
	t.Helper()
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatalf("reading %s as a docker load tarball: %v", filepath.Base(path), err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("image for %s/%s, want linux/amd64", cfg.OS, cfg.Architecture)
	}
	labels := cfg.Config.Labels
	if labels["org.opencontainers.image.version"] != version || labels["org.opencontainers.image.revision"] != commit {
		t.Errorf("image labels %v; want version %s and revision %s", labels, version, commit)
	}
}

// untar returns the regular files of a tar or tar.gz archive by name ("./" dropped).
func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = bytes.NewReader(data)
	if strings.HasSuffix(path, "gz") {
		if r, err = gzip.NewReader(r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(h.Name, "./")] = b
	}
}

func keys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
