#!/usr/bin/env bash
# `make dev` / `make dev-down`: the demo's environment with Ferry left running in the
# background. `up` prints shell lines to eval; `down` stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.cache/dev"
export PATH="$root/.cache/bin:$PATH"
# shellcheck source=hack/lib.sh
. "$root/hack/lib.sh"

case "${1:-}" in
up)
	if [ -f "$state/devenv.pid" ] && kill -0 "$(cat "$state/devenv.pid")" 2>/dev/null; then
		echo "# already running; 'make dev-down' stops it" >&2
	else
		command -v moto_server >/dev/null || { echo "moto_server is missing: pip install 'moto[server]'" >&2; exit 1; }
		FERRY_DEV_VAULT=1 FERRY_DEV_PROVIDERS=1 start_env >&2
		start_ferry
	fi
	echo "export PATH=$root/.cache/bin:\$PATH"
	cat "$state/env"
	echo "# paste the lines above, or: eval \"\$(make -s dev)\"" >&2
	echo "# stores for the enterprise providers' stand-ins: kubectl apply -f $state/providers/" >&2
	;;
down)
	stop_all
	rm -rf "$state"
	echo "# stopped" >&2
	;;
*)
	echo "usage: hack/dev.sh up|down" >&2
	exit 2
	;;
esac
