# Ferry — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
TOOLS_BIN := $(CURDIR)/.cache/bin
GO ?= go

.PHONY: all build generate verify-generated test fuzz lint demo dev dev-down tools clean bench

all: build

tools: ## Build the pinned tools and control-plane binaries (only when missing).
	hack/tools.sh kube-apiserver kube-controller-manager etcd kubectl controller-gen helm vault tofu >/dev/null

generate: ## Regenerate deepcopy code, CRDs (and the chart's copies) and docs/api-reference.md from the API types.
	hack/tools.sh controller-gen >/dev/null
	$(TOOLS_BIN)/controller-gen object:headerFile=hack/boilerplate.go.txt paths=./api/...
	$(TOOLS_BIN)/controller-gen crd:crdVersions=v1 paths=./api/... output:crd:artifacts:config=config/crd/bases
	hack/crd-postprocess.sh config/crd/bases
	rm -f deploy/charts/ferry/files/crds/*.yaml && cp config/crd/bases/*.yaml deploy/charts/ferry/files/crds/
	$(GO) run ./hack/apidocs -o docs/api-reference.md

verify-generated: generate ## Fail when generated files differ from what is committed.
	@git diff --exit-code -- api config/crd deploy/charts/ferry/files/crds docs/api-reference.md || { echo "generated files are stale: run 'make generate' and commit" >&2; exit 1; }

build: ## Build the ferry binary, the kubectl plugin and the dev environment tool into bin/.
	$(GO) build -o bin/ferry ./cmd/ferry
	$(GO) build -o bin/kubectl-ferry ./cmd/kubectl-ferry
	$(GO) build -o bin/devenv ./hack/devenv

test: tools verify-generated lint ## Every test: lint, unit, integration (real kube-apiserver + etcd, moto, Vault) and e2e.
	KUBEBUILDER_ASSETS=$(TOOLS_BIN) $(GO) test -count=1 -timeout 40m ./...
	hack/fuzz.sh 5s

FUZZTIME ?= 45s
fuzz: ## Every fuzz target for FUZZTIME each (default 45s); make test runs each for 5s.
	hack/fuzz.sh $(FUZZTIME)

# The sizes of bench/README.md; results are appended to BENCH_OUT.
BENCH_OUT ?= bench/RESULTS.md
BENCH_FLAGS ?=
bench: tools build ## The benchmark: 1,000 and 10,000 ExternalSecrets, then 10,000 beside 10,000 unrelated Secrets.
	$(GO) run ./bench/cmd/ferrybench -ferry bin/ferry -append $(BENCH_OUT) -n 1000 -k 100 $(BENCH_FLAGS)
	$(GO) run ./bench/cmd/ferrybench -ferry bin/ferry -append $(BENCH_OUT) -n 10000 -k 1000 $(BENCH_FLAGS)
	$(GO) run ./bench/cmd/ferrybench -ferry bin/ferry -append $(BENCH_OUT) -n 10000 -k 1000 -unrelated 10000 $(BENCH_FLAGS)

lint: ## gofmt, go vet and golangci-lint.
	hack/tools.sh golangci-lint >/dev/null
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

clean:
	rm -rf bin .cache/dev
