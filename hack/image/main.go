// Command image builds Ferry's container image without a container engine: it cross-compiles
// cmd/ferry as a static binary for each platform, puts it on an empty base (no shell, no
// package manager) with user 65532:65532, an SPDX SBOM of the binary's modules and OCI labels,
// and writes an OCI image layout holding one multi-platform index, a `docker load` tarball of
// the host's platform, and, with -push, pushes the index to a registry.
//
//	go run ./hack/image -version 1.2.3 [-commit SHA] [-date RFC3339] [-repo ghcr.io/ferryhq/ferry]
//	    [-platforms linux/amd64,linux/arm64] [-layout dist/image] [-tarball dist/ferry-image.tar] [-push]
//
// `make image` and `make release` run it. The image is reproducible: every timestamp is the
// build date (-date, else $SOURCE_DATE_EPOCH, else the commit's time), so the same commit and
// version give the same digest.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	var o options
	var platforms, layoutDir, tarballPath string
	var push bool
	fs.StringVar(&o.Version, "version", "", "version of the build: ferry version, the tag and the version label (required)")
	fs.StringVar(&o.Commit, "commit", "", "source commit (default: git rev-parse HEAD, with -dirty for local changes)")
	fs.StringVar(&o.Date, "date", "", "build date, RFC 3339 (default: $SOURCE_DATE_EPOCH, else the commit's time)")
	fs.StringVar(&o.Repo, "repo", defaultRepo, "repository the image is named after, and pushed to with -push")
	fs.StringVar(&o.Source, "source", defaultSource, "org.opencontainers.image.source label")
	fs.StringVar(&o.Licenses, "licenses", "NOASSERTION", "org.opencontainers.image.licenses label (an SPDX expression)")
	fs.StringVar(&platforms, "platforms", "linux/amd64,linux/arm64", "comma-separated os/arch list")
	fs.StringVar(&layoutDir, "layout", "dist/image", "directory of the OCI image layout; empty skips it")
	fs.StringVar(&tarballPath, "tarball", "dist/ferry-image.tar", "docker load tarball of the host's platform; empty skips it")
	fs.BoolVar(&push, "push", false, "push the index to -repo, tagged with -version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Version == "" {
		return fmt.Errorf("-version is required")
	}
	var err error
	if o.Root, err = repoRoot(); err != nil {
		return err
	}
	if err := o.fillFromGit(); err != nil {
		return err
	}
	if o.Platforms, err = parsePlatforms(platforms); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	b, err := build(ctx, o)
	if err != nil {
		return err
	}
	defer b.Close()
	return b.write(ctx, layoutDir, tarballPath, hostPlatform(), push)
}

func hostPlatform() string { return "linux/" + runtime.GOARCH }

func parsePlatforms(list string) ([]platform, error) {
	var out []platform
	for _, p := range strings.Split(list, ",") {
		osName, arch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok || osName != "linux" || arch == "" {
			return nil, fmt.Errorf("platform %q: want linux/ARCH", p)
		}
		out = append(out, platform{OS: osName, Arch: arch})
	}
	return out, nil
}
