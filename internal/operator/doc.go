// Package operator assembles Ferry: the manager with its caches, the shared fetcher and
// every reconciler, from Options that main fills from flags. Tests build the same operator
// with their own Options, so what they run is what ships.
package operator
