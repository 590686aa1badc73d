package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refNameAnnotation names an image in an OCI layout, as skopeo's oci:DIR:NAME and
// crane's --format=oci read it.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// write writes what was asked for and prints where it went and the index digest.
func (b *built) write(ctx context.Context, layoutDir, tarballPath, host string, push bool) error {
	digest, err := b.index.Digest()
	if err != nil {
		return err
	}
	if layoutDir != "" {
		if err := b.writeLayout(layoutDir); err != nil {
			return err
		}
		fmt.Printf("OCI layout %s (%s:%s, index %s)\n", layoutDir, b.opts.Repo, b.opts.Version, digest)
	}
	if tarballPath != "" {
		if err := b.writeTarball(tarballPath, host); err != nil {
			return err
		}
		fmt.Printf("docker load -i %s  (%s:%s, %s)\n", tarballPath, b.opts.Repo, b.opts.Version, host)
	}
	if push {
		ref, err := b.push(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("pushed %s@%s\n", ref, digest)
	}
	return nil
}

// writeLayout writes a fresh OCI layout whose index.json names the multi-platform index by
// the version, and each platform's SBOM beside it as sbom-OS-ARCH.spdx.json.
func (b *built) writeLayout(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendIndex(b.index, layout.WithAnnotations(map[string]string{refNameAnnotation: b.opts.Version})); err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	for _, pl := range b.opts.Platforms {
		name := fmt.Sprintf("sbom-%s-%s.spdx.json", pl.OS, pl.Arch)
		if err := os.WriteFile(filepath.Join(filepath.Dir(filepath.Clean(dir)), name), b.sboms[pl.String()], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeTarball writes the image of platform host as a `docker load` tarball tagged repo:version.
func (b *built) writeTarball(path, host string) error {
	img, ok := b.images[host]
	if !ok {
		return fmt.Errorf("no image for the host platform %s to write as a tarball: add it to -platforms", host)
	}
	tag, err := name.NewTag(b.opts.Repo + ":" + b.opts.Version)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return tarball.WriteToFile(path, tag, img)
}

// push uploads the index as repo:version with the credentials of the local docker config
// (docker login, or a credential helper).
func (b *built) push(ctx context.Context) (name.Reference, error) {
	tag, err := name.NewTag(b.opts.Repo + ":" + b.opts.Version)
	if err != nil {
		return nil, err
	}
	if err := remote.WriteIndex(tag, b.index, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return nil, fmt.Errorf("pushing %s: %w", tag, err)
	}
	return tag, nil
}
