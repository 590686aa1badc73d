# Shared by demo.sh and dev.sh: start and stop the local environment and Ferry.
# Everything binds to 127.0.0.1. Source it; it expects $root and $state to be set.

# start_env starts hack/devenv (kube-apiserver, etcd, moto; Vault with FERRY_DEV_VAULT=1, the
# enterprise providers' stand-ins with FERRY_DEV_PROVIDERS=1) in the background and loads its env.
start_env() {
	mkdir -p "$state"
	rm -f "$state/env"
	"$root/bin/devenv" up "$state" ${FERRY_DEV_VAULT:+--vault} ${FERRY_DEV_PROVIDERS:+--providers} >"$state/devenv.log" 2>&1 &
	echo $! >"$state/devenv.pid"
	for _ in $(seq 1 600); do
		[ -f "$state/env" ] && break
		if ! kill -0 "$(cat "$state/devenv.pid")" 2>/dev/null; then
			echo "the local environment failed to start:" >&2
			tail -20 "$state/devenv.log" >&2
			return 1
		fi
		sleep 0.1
	done
	[ -f "$state/env" ] || { echo "the local environment did not come up in 60s" >&2; return 1; }
	# shellcheck disable=SC1091
	. "$state/env"
	kubectl create namespace ferry-system >/dev/null
}

# start_ferry runs the ferry binary from the working tree against the local environment.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_ferry() {
	local metrics_port webhook_port health_port
	metrics_port=$(free_port)
	webhook_port=$(free_port)
	health_port=$(free_port)
	# ferry.env (devenv --providers) is Ferry's own: the proxy and CA through which its OCI
	# calls reach the OCI stand-in; the developer's shell does not get them.
	(
		# shellcheck disable=SC1091
		if [ -f "$state/ferry.env" ]; then . "$state/ferry.env"; fi
		exec "$root/bin/ferry" --leader-elect=false --operator-namespace=ferry-system \
			--metrics-bind-address="127.0.0.1:$metrics_port" --health-probe-bind-address="127.0.0.1:$health_port" \
			--webhook-host=127.0.0.1 --webhook-port="$webhook_port" --webhook-url="https://127.0.0.1:$webhook_port"
	) >"$state/ferry.log" 2>&1 &
	echo $! >"$state/ferry.pid"
	# Ready once the webhook serves and its configuration is injected into the CRDs.
	for _ in $(seq 1 300); do
		if curl -sf "http://127.0.0.1:$health_port/readyz" >/dev/null 2>&1 &&
			kubectl get crd externalsecrets.external-secrets.io -o jsonpath='{.spec.conversion.webhook.clientConfig.url}' 2>/dev/null | grep -q "$webhook_port"; then
			break
		fi
		kill -0 "$(cat "$state/ferry.pid")" 2>/dev/null || { echo "ferry exited:" >&2; tail -20 "$state/ferry.log" >&2; return 1; }
		sleep 0.2
	done
	echo "export FERRY_LOG=$state/ferry.log" >>"$state/env"
	echo "export FERRY_METRICS_URL=http://127.0.0.1:$metrics_port/metrics" >>"$state/env"
	# shellcheck disable=SC1091
	. "$state/env"
}

# stop_all stops Ferry and the environment, if running.
stop_all() {
	for p in ferry devenv; do
		if [ -f "$state/$p.pid" ]; then
			local pid
			pid=$(cat "$state/$p.pid")
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -9 "$pid" 2>/dev/null || true
			rm -f "$state/$p.pid"
		fi
	done
}
