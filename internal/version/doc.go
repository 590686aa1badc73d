// Package version tells which build of Ferry is running: the release version, the source
// commit and the build date, set at link time with -ldflags, or read from the VCS stamp the go
// command writes into every binary built from a checkout.
//
// It holds no behaviour beyond reporting; it must not import any other Ferry package.
package version
