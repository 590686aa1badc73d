# Ferry — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
TOOLS_BIN := $(CURDIR)/.cache/bin
GO ?= go
# Every build and test runs with this Go release (go.mod's toolchain line says the same for
# machines whose GOTOOLCHAIN is auto; this one's is local, which ignores that line). The go
# command fetches it from the module proxy once. docs/security.md#dependencies says why.
export GOTOOLCHAIN := go1.27.3

# The version of what is built: the binary (ferry version), the image tag, the chart. By default
# the chart's appVersion with -dev; `make release VERSION=x.y.z` names a release.
CHART_DIR := deploy/charts/ferry
APP_VERSION := $(shell sed -n 's/^appVersion: *"*\([^"]*\)"*$$/\1/p' $(CHART_DIR)/Chart.yaml)
VERSION ?= $(APP_VERSION)-dev
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)$(shell test -z "$$(git status --porcelain 2>/dev/null)" || echo -dirty)
# The commit's time, not the clock's, so that one commit builds the same bytes (SOURCE_DATE_EPOCH overrides).
BUILD_DATE ?= $(shell if [ -n "$${SOURCE_DATE_EPOCH:-}" ]; then date -u -d "@$$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ; else TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd 2>/dev/null || echo unknown; fi)
VERSION_PKG := github.com/ferryhq/ferry/internal/version
LDFLAGS := -X $(VERSION_PKG).version=$(VERSION) -X $(VERSION_PKG).commit=$(COMMIT) -X $(VERSION_PKG).date=$(BUILD_DATE)
# Where `make image` pushes (and what it names the image); empty builds without pushing.
IMAGE_REPO ?=
IMAGE_PLATFORMS ?= linux/amd64,linux/arm64
DIST := dist

.PHONY: all build generate verify-generated test fuzz lint vulncheck demo dev dev-down tools clean bench soak image release

all: build

tools: ## Build the pinned tools and control-plane binaries (only when missing).
	hack/tools.sh kube-apiserver kube-controller-manager etcd kubectl controller-gen helm vault promtool tofu govulncheck >/dev/null

generate: ## Regenerate deepcopy code, CRDs (and the chart's copies) and docs/api-reference.md from the API types.
	hack/tools.sh controller-gen >/dev/null
	$(TOOLS_BIN)/controller-gen object:headerFile=hack/boilerplate.go.txt paths=./api/...
	$(TOOLS_BIN)/controller-gen crd:crdVersions=v1 paths=./api/... output:crd:artifacts:config=config/crd/bases
	rm -f deploy/charts/ferry/files/crds/*.yaml && cp config/crd/bases/*.yaml deploy/charts/ferry/files/crds/
	$(GO) run ./hack/apidocs -o docs/api-reference.md

verify-generated: generate ## Fail when generated files differ from what is committed.
	@git diff --exit-code -- api config/crd deploy/charts/ferry/files/crds docs/api-reference.md || { echo "generated files are stale: run 'make generate' and commit" >&2; exit 1; }

build: ## Build the ferry binary, the kubectl plugin and the dev environment tool into bin/.
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/ferry ./cmd/ferry
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/kubectl-ferry ./cmd/kubectl-ferry
	$(GO) build -o bin/devenv ./hack/devenv

test: tools verify-generated lint vulncheck ## Every test: lint, known vulnerabilities, unit, integration (real kube-apiserver + etcd, moto, Vault), e2e and fuzz.
	KUBEBUILDER_ASSETS=$(TOOLS_BIN) $(GO) test -count=1 -timeout 40m ./...
	hack/fuzz.sh 5s

vulncheck: ## Fail when Ferry's code reaches a known vulnerability of a dependency or of Go (govulncheck, offline database).
	hack/vulncheck.sh

FUZZTIME ?= 45s
fuzz: ## Every fuzz target for FUZZTIME each (default 45s); make test runs each for 5s.
	hack/fuzz.sh $(FUZZTIME)

# The sizes of bench/README.md; results are appended to BENCH_OUT.
BENCH_OUT ?= bench/RESULTS.md
BENCH_FLAGS ?=
bench: tools build ## The benchmark: 1,000 and 10,000 ExternalSecrets, 10,000 beside 10,000 unrelated Secrets and 2,000 workloads, 1,000 on one key changed by the SQS feed.
	$(GO) run ./bench/cmd/ferrybench -ferry bin/ferry -append $(BENCH_OUT) -n 1000 -k 100 $(BENCH_FLAGS)
	$(GO) run ./bench/cmd/ferrybench -ferry bin/ferry -append $(BENCH_OUT) -n 10000 -k 1000 $(BENCH_FLAGS)
	$(GO) run ./bench/cmd/ferrybench -ferry bin/ferry -append $(BENCH_OUT) -n 10000 -k 1000 -unrelated 10000 -workloads 2000 $(BENCH_FLAGS)
	$(GO) run ./bench/cmd/ferrybench -ferry bin/ferry -append $(BENCH_OUT) -n 1000 -k 1 -interval 1h -feed -steady-cycles 0 -floor=false -warm-restart=false $(BENCH_FLAGS)

# The fault soak of bench/README.md: an hour, N = 10,000; the result is appended to BENCH_OUT.
# Not part of `make test`, which runs its two-minute version (TestSoakShort).
soak: tools build ## The one-hour fault soak: two replicas, leader killed, API server restarted, provider faults, rotations.
	$(GO) run ./bench/cmd/ferrybench -ferry bin/ferry -append $(BENCH_OUT) -soak 1h -n 10000 -k 1000 -interval 1m $(SOAK_FLAGS)

lint: ## gofmt, go vet, golangci-lint, and go.mod as `go mod tidy` leaves it.
	hack/tools.sh golangci-lint >/dev/null
	@$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy: run 'go mod tidy' and commit" >&2; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(TOOLS_BIN)/golangci-lint run ./...

demo: build ## A local control plane, a secrets backend, Ferry syncing a secret, shown on screen.
	hack/tools.sh kube-apiserver etcd kubectl >/dev/null
	hack/demo.sh

dev: build ## The same control plane with Ferry left running; prints shell lines to eval.
	hack/tools.sh kube-apiserver etcd kubectl vault >/dev/null
	hack/dev.sh up

dev-down: ## Stop everything `make dev` started.
	hack/dev.sh down

image: ## The multi-arch OCI image in dist/image and a docker load tarball dist/ferry-image.tar; pushes with IMAGE_REPO=registry/ferry.
	$(GO) run ./hack/image -version '$(VERSION)' -commit '$(COMMIT)' -date '$(BUILD_DATE)' -platforms '$(IMAGE_PLATFORMS)' \
		-layout $(DIST)/image -tarball $(DIST)/ferry-image.tar $(if $(IMAGE_REPO),-repo '$(IMAGE_REPO)' -push)

release: ## make release VERSION=x.y.z: image, chart package, kubectl plugin archives and SHA256SUMS in dist/.
	@[[ "$(origin VERSION)" == command\ line || "$(origin VERSION)" == environment ]] || { echo "name the release: make release VERSION=x.y.z" >&2; exit 2; }
	hack/tools.sh helm >/dev/null
	VERSION='$(VERSION)' COMMIT='$(COMMIT)' BUILD_DATE='$(BUILD_DATE)' IMAGE_REPO='$(IMAGE_REPO)' DIST='$(DIST)' hack/release.sh

clean:
	rm -rf bin dist .cache/dev
