#!/usr/bin/env bash
# Builds the artefacts of one release into $DIST (default dist/): the image (OCI layout, packed
# as a tar, and a docker load tarball of linux/amd64), the Helm chart package, the kubectl plugin
# for Linux and macOS on amd64 and arm64, the SBOMs, and SHA256SUMS over all of them.
# `make release VERSION=x.y.z` runs it; with IMAGE_REPO set it pushes the image too.
#
#   VERSION=x.y.z [COMMIT=sha] [BUILD_DATE=rfc3339] [IMAGE_REPO=registry/ferry] hack/release.sh
#
# PLUGIN_PLATFORMS (default "linux/amd64 linux/arm64 darwin/amd64 darwin/arm64") lists the
# kubectl plugin's platforms; test/release narrows it to keep `make test` short.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
: "${VERSION:?set VERSION=x.y.z}"
if ! [[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
	echo "VERSION=$VERSION is not a semantic version x.y.z[-pre] (no leading v): the chart needs one" >&2
	exit 2
fi
COMMIT=${COMMIT:-$(git rev-parse HEAD)}
BUILD_DATE=${BUILD_DATE:-$(TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd)}
DIST=${DIST:-dist}
PLUGIN_PLATFORMS=${PLUGIN_PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64}
bin=$(hack/tools.sh helm)

rm -rf "$DIST" && mkdir -p "$DIST"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Every archive gets the same owner and timestamps, so one commit gives the same checksums.
pack() { # archive dir [gzip]
	local out=$1 dir=$2
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$BUILD_DATE" -C "$dir" -cf - . |
		if [ "${3:-}" = gzip ]; then gzip -n; else cat; fi >"$out"
}

echo "== image $VERSION" >&2
push=()
[ -z "${IMAGE_REPO:-}" ] || push=(-repo "$IMAGE_REPO" -push)
go run ./hack/image -version "$VERSION" -commit "$COMMIT" -date "$BUILD_DATE" \
	-layout "$DIST/image" -tarball "$DIST/ferry-image_${VERSION}_linux_amd64.tar" "${push[@]}"
pack "$DIST/ferry-image_${VERSION}_oci-layout.tar" "$DIST/image"
rm -rf "$DIST/image"
for f in "$DIST"/sbom-*.spdx.json; do mv "$f" "$DIST/ferry_${VERSION}_${f#"$DIST"/sbom-}"; done

echo "== chart $VERSION" >&2
# helm package stamps the archive with the time it runs; unpack and pack it again the way
# every other archive is packed, so the chart's checksum too is the same for one commit.
mkdir -p "$work/chart/unpacked"
"$bin/helm" package deploy/charts/ferry --version "$VERSION" --app-version "$VERSION" -d "$work/chart" >&2
tar -xzf "$work/chart/ferry-$VERSION.tgz" -C "$work/chart/unpacked"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$BUILD_DATE" -C "$work/chart/unpacked" -cf - ferry |
	gzip -n >"$DIST/ferry-$VERSION.tgz"

echo "== kubectl plugin $VERSION" >&2
pkg=github.com/ferryhq/ferry/internal/version
for platform in $PLUGIN_PLATFORMS; do
	os=${platform%/*} arch=${platform#*/}
	mkdir -p "$work/$os-$arch"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false \
		-ldflags "-s -w -X $pkg.version=$VERSION -X $pkg.commit=$COMMIT -X $pkg.date=$BUILD_DATE" \
		-o "$work/$os-$arch/kubectl-ferry" ./cmd/kubectl-ferry
	pack "$DIST/kubectl-ferry_${VERSION}_${os}_${arch}.tar.gz" "$work/$os-$arch" gzip
done

(cd "$DIST" && sha256sum -- * >SHA256SUMS)
echo "== $DIST" >&2
ls -l "$DIST" >&2
