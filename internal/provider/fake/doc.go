// Package fake is the `fake` provider: it serves the static values written in the store's
// own spec.provider.fake.data. It exists for demos and tests of everything above the
// provider layer; it never reaches outside the process.
package fake
