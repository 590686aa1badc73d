// Package onepasswordfake is an in-process stand-in for a 1Password Connect server, written
// from the Connect API reference: bearer token auth, vaults and items filtered by
// `name eq "…"` / `title eq "…"`, item summaries without fields, full items with fields and
// files, file content, item create / replace / delete, and {"status","message"} error bodies.
// It serves on 127.0.0.1 only, for Ferry's tests and `make dev`, and is never shipped in the
// operator binary. No Connect server was reached to write it.
package onepasswordfake
