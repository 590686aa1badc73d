// Package builtin assembles what this build of Ferry serves: the registry of providers and
// the registry of generator kinds. The operator (cmd/ferry) and the CLI's preflight
// (internal/cli) both build their registries here, so what preflight reports as served is
// exactly what the operator runs.
//
// It only constructs values; it must not start clients, read the API or register anything
// globally.
package builtin
