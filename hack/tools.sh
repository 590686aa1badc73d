#!/usr/bin/env bash
# Builds the pinned tools and the control-plane binaries from the Go module proxy, each only
# when missing, into a directory keyed by the pinned versions (hack/tools/*/go.mod) under the
# user's cache, so every clone on a machine shares them; .cache/bin (git-ignored) links to it.
# Prints the bin directory.
#
#   hack/tools.sh [tool...]   tools: kube-apiserver kubectl etcd controller-gen golangci-lint helm
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stamp=$(cat "$root"/hack/tools/*/go.mod | sha256sum | cut -c1-16)
bin="${FERRY_TOOLS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry/tools-$stamp}"
mkdir -p "$bin" "$root/.cache"
if [ "$(readlink "$root/.cache/bin" 2>/dev/null)" != "$bin" ]; then
	[ -d "$root/.cache/bin" ] && [ ! -L "$root/.cache/bin" ] && cp -n "$root"/.cache/bin/* "$bin"/ 2>/dev/null || true
	rm -rf "$root/.cache/bin"
	ln -s "$bin" "$root/.cache/bin"
fi

build() { # name module-dir package [ldflags]
	local name=$1 dir=$2 pkg=$3
	[ -x "$bin/$name" ] && return 0
	echo "building $name (first time only; cached in $bin)" >&2
	(cd "$root/hack/tools/$dir" && go build -trimpath -ldflags '-s -w' -o "$bin/$name.tmp" "$pkg")
	mv "$bin/$name.tmp" "$bin/$name"
}

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(kube-apiserver etcd controller-gen)
for t in "${want[@]}"; do
	case $t in
	kube-apiserver) build kube-apiserver kube k8s.io/kubernetes/cmd/kube-apiserver ;;
	kubectl) build kubectl kube k8s.io/kubernetes/cmd/kubectl ;;
	etcd) build etcd etcd go.etcd.io/etcd/server/v3 ;;
	controller-gen) build controller-gen gen sigs.k8s.io/controller-tools/cmd/controller-gen ;;
	golangci-lint) build golangci-lint lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint ;;
	helm) build helm helm helm.sh/helm/v3/cmd/helm ;;
	*) echo "unknown tool $t" >&2; exit 2 ;;
	esac
done
echo "$bin"
