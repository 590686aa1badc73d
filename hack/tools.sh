#!/usr/bin/env bash
# Builds the pinned tools and the control-plane binaries from the Go module proxy, each only
# when missing. A binary is built once per version of its tools module (hack/tools/<dir>/go.mod)
# into the user's cache, so every clone on the machine shares it and a change of one pin
# rebuilds only that tool; .cache/bin (git-ignored) holds links to the binaries in use.
# Prints the bin directory.
#
#   hack/tools.sh [tool...]
#   tools: kube-apiserver kube-controller-manager kubectl etcd controller-gen golangci-lint helm vault promtool tofu govulncheck
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${FERRY_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry/tools}"
bin="$root/.cache/bin"
# An earlier layout made .cache/bin a link to one directory; it is a directory of links now.
[ -L "$bin" ] && rm -f "$bin"
mkdir -p "$bin"

# The Go release that builds the tools that only run (servers and CLIs: kube-apiserver, etcd,
# Vault, Helm, promtool, OpenTofu). Go 1.27 took HTTP/2 into the standard library and the
# x/net/http2 of the versions these pin no longer compiles under it (OpenTofu 1.12's gRPC needs
# http2.TrailerPrefix), so they are built by the 1.26 release their go.mod files name; the go
# command fetches it from the module proxy when the machine has another.
tools_go=go1.26.8

build() { # name module-dir package [go]
	local name=$1 dir=$2 pkg=$3 stamp target toolchain=$tools_go
	# Tools that load Go code (linters, generators, govulncheck) must be built by the Go
	# release that builds Ferry, or they fail on its standard library: their key has it.
	[ "${4:-}" != go ] || toolchain=$(go env GOVERSION)
	stamp=$( (cat "$root/hack/tools/$dir/go.mod"; [ "${4:-}" != go ] || echo "$toolchain") | sha256sum | cut -c1-16)
	target="$cache/$dir-$stamp/$name"
	if [ ! -x "$target" ]; then
		echo "building $name (first time only; cached in $(dirname "$target"))" >&2
		mkdir -p "$(dirname "$target")"
		(cd "$root/hack/tools/$dir" && GOTOOLCHAIN=$toolchain go build -trimpath -ldflags '-s -w' -o "$target.tmp.$$" "$pkg")
		mv "$target.tmp.$$" "$target"
	fi
	[ "$(readlink "$bin/$name" 2>/dev/null)" = "$target" ] || ln -sfn "$target" "$bin/$name"
}

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(kube-apiserver etcd controller-gen)
for t in "${want[@]}"; do
	case $t in
	kube-apiserver) build kube-apiserver kube k8s.io/kubernetes/cmd/kube-apiserver ;;
	kube-controller-manager) build kube-controller-manager kube k8s.io/kubernetes/cmd/kube-controller-manager ;;
	kubectl) build kubectl kube k8s.io/kubernetes/cmd/kubectl ;;
	etcd) build etcd etcd go.etcd.io/etcd/server/v3 ;;
	controller-gen) build controller-gen gen sigs.k8s.io/controller-tools/cmd/controller-gen go ;;
	golangci-lint) build golangci-lint lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint go ;;
	helm) build helm helm helm.sh/helm/v3/cmd/helm ;;
	vault) build vault vault github.com/hashicorp/vault ;;
	promtool) build promtool promtool github.com/prometheus/prometheus/cmd/promtool ;;
	tofu) build tofu tofu github.com/opentofu/opentofu/cmd/tofu ;;
	govulncheck) build govulncheck vuln golang.org/x/vuln/cmd/govulncheck go ;;
	*) echo "unknown tool $t" >&2; exit 2 ;;
	esac
done
echo "$bin"
