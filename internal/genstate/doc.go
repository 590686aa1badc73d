// Package genstate runs generators for the controllers that push or write generated
// values (an ExternalSecret's dataFrom, a PushSecret's selector) and keeps the
// GeneratorStates of what stateful generators created, as External Secrets Operator does:
// recorded once the values are in place, undone when they are not, flagged for
// collection when newer values replace them.
//
// It does not collect states (internal/controller/generatorstate does) and decides
// nothing about when to generate: its callers do.
package genstate
