package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	defaultRepo   = "ghcr.io/ferryhq/ferry"
	defaultSource = "https://github.com/ferryhq/ferry"
	versionPkg    = "github.com/ferryhq/ferry/internal/version"
	// nonroot is the user and group the image runs as, as distroless' nonroot user.
	nonroot = 65532
)

// options say what to build and how to label it.
type options struct {
	Root      string // repository root, where go build runs
	Version   string
	Commit    string
	Date      string // RFC 3339
	Repo      string
	Source    string
	Licenses  string
	Platforms []platform
}

type platform struct{ OS, Arch string }

func (p platform) String() string { return p.OS + "/" + p.Arch }

// built is the index and, per platform, the image and the binary in it.
type built struct {
	opts    options
	index   v1.ImageIndex
	images  map[string]v1.Image // by platform
	sboms   map[string][]byte   // by platform
	workDir string              // the compiled binaries, removed by Close
}

// Close removes the compiled binaries.
func (b *built) Close() { os.RemoveAll(b.workDir) }

// build compiles the binary for every platform and assembles the index.
func build(ctx context.Context, o options) (*built, error) {
	created, err := time.Parse(time.RFC3339, o.Date)
	if err != nil {
		return nil, fmt.Errorf("build date %q: %w", o.Date, err)
	}
	work, err := os.MkdirTemp("", "ferry-image")
	if err != nil {
		return nil, err
	}
	b := &built{opts: o, images: map[string]v1.Image{}, sboms: map[string][]byte{}, workDir: work}
	index := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range o.Platforms {
		bin := filepath.Join(work, p.OS+"-"+p.Arch, "ferry")
		if err := compile(ctx, o, p, bin); err != nil {
			b.Close()
			return nil, err
		}
		sbom, err := spdxDocument(bin, o, p, created)
		if err != nil {
			b.Close()
			return nil, err
		}
		img, err := image(o, p, bin, sbom, created)
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		b.images[p.String()], b.sboms[p.String()] = img, sbom
		index = mutate.AppendManifests(index, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: p.OS, Architecture: p.Arch}}})
	}
	b.index = index
	return b, nil
}

// compile builds cmd/ferry for p: static (no cgo), without local paths, stripped, with the
// version stamped in.
func compile(ctx context.Context, o options, p platform, out string) error {
	ldflags := strings.Join([]string{"-s", "-w",
		"-X", versionPkg + ".version=" + o.Version,
		"-X", versionPkg + ".commit=" + o.Commit,
		"-X", versionPkg + ".date=" + o.Date}, " ")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, "./cmd/ferry")
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = os.Stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s: %w: %s", p, err, stderr.String())
	}
	return nil
}

// image puts the binary and its SBOM on an empty base.
func image(o options, p platform, bin string, sbom []byte, created time.Time) (v1.Image, error) {
	layer, err := rootLayer(bin, sbom, created)
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: layer, MediaType: types.OCILayer, History: v1.History{
		Created: v1.Time{Time: created}, CreatedBy: "hack/image: ferry " + o.Version, Comment: "the ferry binary and its SBOM"}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = p.OS, p.Arch, v1.Time{Time: created}
	cf.Config = v1.Config{
		User:       strconv.Itoa(nonroot) + ":" + strconv.Itoa(nonroot),
		Entrypoint: []string{"/ferry"},
		WorkingDir: "/",
		Labels:     o.labels(),
	}
	return mutate.ConfigFile(img, cf)
}

// labels are the OCI annotations every image carries.
func (o options) labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "ferry",
		"org.opencontainers.image.description": "Keeps Kubernetes Secrets in sync with external secret managers (external-secrets.io API)",
		"org.opencontainers.image.source":      o.Source,
		"org.opencontainers.image.revision":    o.Commit,
		"org.opencontainers.image.version":     o.Version,
		"org.opencontainers.image.licenses":    o.Licenses,
		"org.opencontainers.image.created":     o.Date,
	}
}

// fillFromGit sets the commit and the date that were not given.
func (o *options) fillFromGit() error {
	if o.Commit == "" {
		rev, err := git(o.Root, "rev-parse", "HEAD")
		if err != nil {
			return err
		}
		if status, err := git(o.Root, "status", "--porcelain"); err == nil && status != "" {
			rev += "-dirty"
		}
		o.Commit = rev
	}
	if o.Date != "" {
		return nil
	}
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		sec, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
		}
		o.Date = time.Unix(sec, 0).UTC().Format(time.RFC3339)
		return nil
	}
	sec, err := git(o.Root, "log", "-1", "--format=%ct")
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return fmt.Errorf("commit time %q: %w", sec, err)
	}
	o.Date = time.Unix(n, 0).UTC().Format(time.RFC3339)
	return nil
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// repoRoot is the directory of Ferry's go.mod at or above the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module github.com/ferryhq/ferry\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the Ferry repository's go.mod is not at or above the working directory")
		}
		dir = parent
	}
}
