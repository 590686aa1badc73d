#!/usr/bin/env bash
# `make demo`: the walkthrough our users follow (AWS Secrets Manager → SecretStore with IRSA →
# ExternalSecret → Secret), on a local control plane with moto standing in for AWS, and
# Ferry built from this tree. Prints each step as a user would see it, then stops all it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=$(mktemp -d "${TMPDIR:-/tmp}/ferry-demo.XXXXXX")
export PATH="$root/.cache/bin:$PATH"
# shellcheck source=hack/lib.sh
. "$root/hack/lib.sh"
cleanup() { stop_all; rm -rf "$state"; }
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

command -v moto_server >/dev/null || { echo "moto_server is missing: pip install 'moto[server]'" >&2; exit 1; }

step "Starting a local kube-apiserver + etcd, and moto for AWS (all on 127.0.0.1)"
start_env
echo "kube-apiserver: $(kubectl config view -o jsonpath='{.clusters[0].cluster.server}')"
echo "AWS endpoint:   $AWS_ENDPOINT_URL"

step "Creating the AWS secret 'example' with API_KEY and API_HOST"
"$root/bin/devenv" put-secret example '{"API_KEY":"1234567","API_HOST":"https://example.com"}'
echo "aws secretsmanager create-secret --name example --secret-string '{\"API_KEY\":\"1234567\",\"API_HOST\":\"https://example.com\"}'"

step "Starting Ferry (bin/ferry, built from this tree)"
start_ferry
echo "logs: $FERRY_LOG"

step "Applying the walkthrough's manifests, exactly as users wrote them"
manifests=("$root/examples/seed/00-namespace.yaml" "$root"/examples/seed/${FERRY_DEMO_MANIFESTS:-}*-secret*.yaml "$root"/examples/seed/${FERRY_DEMO_MANIFESTS:-}*-externalsecret.yaml)
for m in "${manifests[@]}"; do
	echo "--- ${m#"$root"/}"
	grep -v '^#' "$m"
done
for m in "${manifests[@]}"; do show kubectl apply -f "$m"; done

step "Waiting for Ferry to sync"
if ! kubectl wait -n example externalsecret/externalsecret-example --for=condition=Ready --timeout=60s >/dev/null; then
	kubectl get externalsecret -n example -o yaml
	tail -20 "$FERRY_LOG"
	exit 1
fi
show kubectl get externalsecret -n example
echo "(stored as external-secrets.io/v1; the v1alpha1 view still reads back as written)"
show kubectl get externalsecret -n example externalsecret-example -o 'jsonpath={.apiVersion} {.spec.dataFrom}'
echo
show kubectl get externalsecrets.v1alpha1.external-secrets.io -n example externalsecret-example -o 'jsonpath={.apiVersion} {.spec.dataFrom}'
echo
show kubectl get secret -n example example-secret
show kubectl get secret example-secret -n example -o 'jsonpath={.data}'
echo
want='{"API_HOST":"aHR0cHM6Ly9leGFtcGxlLmNvbQ==","API_KEY":"MTIzNDU2Nw=="}'
got=$(kubectl get secret example-secret -n example -o 'jsonpath={.data}')
[ "$got" = "$want" ] || { echo "unexpected data: $got (want $want)" >&2; exit 1; }

step "Rotating the value in AWS and adding a key"
"$root/bin/devenv" put-secret example '{"API_KEY":"7654321","API_HOST":"https://example.com","API_USER":"ferry"}'
echo "aws secretsmanager put-secret-value --secret-id example --secret-string '{\"API_KEY\":\"7654321\",...,\"API_USER\":\"ferry\"}'"
echo "(Ferry picks this up within refreshInterval: 1m; we ask for a sync now with the force-sync annotation)"
show kubectl annotate externalsecret -n example externalsecret-example force-sync="$(date +%s)" --overwrite
for _ in $(seq 1 300); do
	got=$(kubectl get secret example-secret -n example -o 'jsonpath={.data.API_USER}')
	[ -n "$got" ] && break
	sleep 0.2
done
show kubectl get secret -n example example-secret
show kubectl get secret example-secret -n example -o 'jsonpath={.data}'
echo
[ "$(kubectl get secret example-secret -n example -o 'jsonpath={.data.API_KEY}' | base64 -d)" = 7654321 ] || { echo "rotation did not arrive" >&2; exit 1; }

step "Done: stopping Ferry, kube-apiserver, etcd and moto"
