// Package preflight judges External Secrets Operator objects — manifests or what a cluster
// holds — before Ferry takes them over: for each object, whether this Ferry serves it, hands
// it off to the controller of another class, or cannot serve it yet and why, and which of
// Ferry's documented behaviour differences from ESO apply to it.
//
// Judging is pure: an Inventory of decoded objects and a Config (the controller class and
// the registries of cmd/ferry, from internal/builtin) in, Results out. ReadPath builds an
// inventory from manifests; reading a cluster is the CLI's (internal/cli). It looks at specs,
// labels and names only; it must never read or print Secret data.
package preflight
