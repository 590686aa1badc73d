package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

const (
	testVersion = "9.8.7-test.1"
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
	testDate    = "2026-11-30T12:00:00Z"
)

// TestImage builds the image for linux/amd64 and linux/arm64 as `make image` does, reads the
// OCI layout back, runs the host's binary taken out of its layer, loads the docker tarball,
// and pushes the index to a registry on 127.0.0.1 and reads it back.
func TestImage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("runs the linux binary it builds: needs a linux host")
	}
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dist := t.TempDir()
	layoutDir, tarPath := filepath.Join(dist, "image"), filepath.Join(dist, "ferry-image.tar")
	regServer := httptest.NewServer(registry.New())
	t.Cleanup(regServer.Close)
	repo := strings.TrimPrefix(regServer.URL, "http://") + "/ferryhq/ferry"

	o := options{Root: root, Version: testVersion, Commit: testCommit, Date: testDate, Repo: repo,
		Source: defaultSource, Licenses: "NOASSERTION", Platforms: []platform{{"linux", "amd64"}, {"linux", "arm64"}}}
	b, err := build(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if err := b.write(context.Background(), layoutDir, tarPath, hostPlatform(), true); err != nil {
		t.Fatal(err)
	}

	index := readLayout(t, layoutDir)
	images := platformImages(t, index)
	for _, p := range o.Platforms {
		img, ok := images[p.String()]
		if !ok {
			t.Fatalf("the index has no %s image (has %v)", p, keys(images))
		}
		assertConfig(t, img, p)
		files := layerFiles(t, img, t.TempDir())
		assertFiles(t, p, files)
		if p.String() == hostPlatform() {
			assertRuns(t, files["ferry"])
		}
	}
	assertSBOMs(t, dist)
	assertTarball(t, tarPath, repo, images[hostPlatform()])
	assertPushed(t, repo, index)
}

func readLayout(t *testing.T, dir string) v1.ImageIndex {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatalf("reading the OCI layout: %v", err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Annotations[refNameAnnotation] != testVersion {
		t.Fatalf("index.json lists %+v, want one index named %s", im.Manifests, testVersion)
	}
	index, err := top.ImageIndex(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return index
}

func platformImages(t *testing.T, index v1.ImageIndex) map[string]v1.Image {
	t.Helper()
	im, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("index media type %s, want the OCI index", im.MediaType)
	}
	images := map[string]v1.Image{}
	for _, d := range im.Manifests {
		if d.Platform == nil {
			t.Fatalf("manifest %s has no platform", d.Digest)
		}
		img, err := index.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		images[d.Platform.OS+"/"+d.Platform.Architecture] = img
	}
	if len(images) != 2 {
		t.Errorf("the index holds %v, want linux/amd64 and linux/arm64", keys(images))
	}
	return images
}

func assertConfig(t *testing.T, img v1.Image, p platform) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != p.OS || cf.Architecture != p.Arch {
		t.Errorf("%s: config says %s/%s", p, cf.OS, cf.Architecture)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("%s: user %q, want 65532:65532", p, cf.Config.User)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{"/ferry"}) || len(cf.Config.Cmd) != 0 {
		t.Errorf("%s: entrypoint %q cmd %q, want [/ferry] and no cmd", p, cf.Config.Entrypoint, cf.Config.Cmd)
	}
	want := map[string]string{
		"org.opencontainers.image.source":   defaultSource,
		"org.opencontainers.image.revision": testCommit,
		"org.opencontainers.image.version":  testVersion,
		"org.opencontainers.image.licenses": "NOASSERTION",
		"org.opencontainers.image.created":  testDate,
	}
	for k, v := range want {
		if got := cf.Config.Labels[k]; got != v {
			t.Errorf("%s: label %s = %q, want %q", p, k, got, v)
		}
	}
	if got := cf.Created.UTC().Format("2006-01-02T15:04:05Z"); got != testDate {
		t.Errorf("%s: created %s, want the build date %s", p, got, testDate)
	}
}

// layerFiles extracts the image's regular files into dir and returns their paths by name,
// failing on anything that is not a regular file or a directory.
func layerFiles(t *testing.T, img v1.Image, dir string) map[string]string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch hdr.Typeflag {
			case tar.TypeDir:
				continue
			case tar.TypeReg:
			default:
				t.Errorf("layer holds %s of type %c: only files and directories are expected", hdr.Name, hdr.Typeflag)
				continue
			}
			if hdr.Mode&0o111 != 0 && hdr.Name != "ferry" {
				t.Errorf("executable %s besides /ferry", hdr.Name)
			}
			out := filepath.Join(dir, strings.ReplaceAll(hdr.Name, "/", "_"))
			f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY, os.FileMode(hdr.Mode&0o777)) //nolint:gosec // a test file
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil { //nolint:gosec // the image this test built
				t.Fatal(err)
			}
			f.Close()
			files[hdr.Name] = out
		}
		rc.Close()
	}
	return files
}

func assertFiles(t *testing.T, p platform, files map[string]string) {
	t.Helper()
	for _, want := range []string{"ferry", sbomPath, "etc/passwd", "etc/group"} {
		if _, ok := files[want]; !ok {
			t.Errorf("%s: /%s missing from the image (has %v)", p, want, keys(files))
		}
	}
	for _, shell := range []string{"bin/sh", "bin/bash", "bin/busybox"} {
		if _, ok := files[shell]; ok {
			t.Errorf("%s: the image has a shell /%s", p, shell)
		}
	}
	passwd, _ := os.ReadFile(files["etc/passwd"])
	if !strings.Contains(string(passwd), "nonroot:x:65532:65532:") {
		t.Errorf("%s: /etc/passwd has no nonroot 65532: %s", p, passwd)
	}
	doc := readSPDX(t, files[sbomPath])
	if doc.Packages[0].Name != "github.com/ferryhq/ferry" || doc.Packages[0].VersionInfo != testVersion {
		t.Errorf("%s: SBOM describes %s %s first, want ferry %s", p, doc.Packages[0].Name, doc.Packages[0].VersionInfo, testVersion)
	}
	if !strings.HasSuffix(doc.Name, p.OS+"-"+p.Arch) {
		t.Errorf("%s: SBOM named %s", p, doc.Name)
	}
}

func readSPDX(t *testing.T, path string) spdxDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc spdxDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("SBOM %s is not JSON: %v", path, err)
	}
	if doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) < 3 {
		t.Fatalf("SBOM %s: version %q with %d packages", path, doc.SPDXVersion, len(doc.Packages))
	}
	names := map[string]bool{}
	for _, p := range doc.Packages {
		names[p.Name] = true
	}
	for _, dep := range []string{"stdlib", "sigs.k8s.io/controller-runtime", "github.com/aws/aws-sdk-go-v2", "golang.org/x/crypto/x509roots/fallback"} {
		if !names[dep] {
			t.Errorf("SBOM %s does not list %s", path, dep)
		}
	}
	return doc
}

// assertRuns runs the binary from the image, as the image's entrypoint would.
func assertRuns(t *testing.T, bin string) {
	t.Helper()
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(bin, arg).CombinedOutput()
		if err != nil {
			t.Fatalf("/ferry %s: %v\n%s", arg, err, out)
		}
		want := "ferry " + testVersion + " (commit " + testCommit + ", built " + testDate + ", go"
		if !strings.HasPrefix(string(out), want) {
			t.Errorf("/ferry %s printed %q, want it to start with %q", arg, out, want)
		}
	}
}

func assertSBOMs(t *testing.T, dist string) {
	t.Helper()
	for _, p := range []string{"linux-amd64", "linux-arm64"} {
		readSPDX(t, filepath.Join(dist, "sbom-"+p+".spdx.json"))
	}
}

// assertTarball reads the docker tarball as `docker load` would: one image, tagged
// repo:version, with the host image's config.
func assertTarball(t *testing.T, path, repo string, want v1.Image) {
	t.Helper()
	tag, err := name.NewTag(repo + ":" + testVersion)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatalf("the tarball has no image tagged %s: %v", tag, err)
	}
	got, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if wantName, _ := want.ConfigName(); got != wantName {
		t.Errorf("the tarball's image has config %s, want the host image's %s", got, wantName)
	}
}

func assertPushed(t *testing.T, repo string, index v1.ImageIndex) {
	t.Helper()
	tag, err := name.NewTag(repo + ":" + testVersion)
	if err != nil {
		t.Fatal(err)
	}
	remoteIndex, err := remote.Index(tag)
	if err != nil {
		t.Fatalf("reading the pushed index: %v", err)
	}
	got, err := remoteIndex.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := index.Digest(); got != want {
		t.Errorf("the registry serves index %s, the layout holds %s", got, want)
	}
	arm, err := remote.Image(tag, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}))
	if err != nil {
		t.Fatalf("pulling linux/arm64: %v", err)
	}
	if cf, err := arm.ConfigFile(); err != nil || cf.Architecture != "arm64" {
		t.Errorf("pulled linux/arm64: %+v, %v", cf, err)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
