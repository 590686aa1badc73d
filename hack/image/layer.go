package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's file system: the binary, its SBOM, and the few files a nonroot process expects
// (its passwd entry, a home and /tmp). No shell, no libc, no certificates: the binary carries
// its roots (golang.org/x/crypto/x509roots/fallback).
const (
	binaryPath = "ferry"
	sbomPath   = "sbom/ferry.spdx.json"
	passwd     = "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group      = "root:x:0:\nnonroot:x:65532:\n"
)

type entry struct {
	name     string
	dir      bool
	mode     int64
	uid, gid int
	body     []byte
}

// rootLayer is the image's one layer; every timestamp is created, so the same inputs give
// the same digest.
func rootLayer(bin string, sbom []byte, created time.Time) (v1.Layer, error) {
	binary, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	entries := []entry{
		{name: "etc/", dir: true, mode: 0o755},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "home/", dir: true, mode: 0o755},
		{name: "home/nonroot/", dir: true, mode: 0o700, uid: nonroot, gid: nonroot},
		{name: "sbom/", dir: true, mode: 0o755},
		{name: sbomPath, mode: 0o644, body: sbom},
		{name: "tmp/", dir: true, mode: 0o1777},
		{name: binaryPath, mode: 0o755, body: binary},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.gid, ModTime: created, Format: tar.FormatPAX}
		if e.dir {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	content := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}
