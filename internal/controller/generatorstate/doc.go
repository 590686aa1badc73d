// Package generatorstate garbage-collects GeneratorStates, the records of what stateful
// generators (Grafana service-account tokens) created for an ExternalSecret or a
// PushSecret: a state whose garbageCollectionDeadline has passed, or whose owner is gone,
// is deleted, and a finalizer makes sure what it records is cleaned up at the service
// first. It works on GeneratorStates External Secrets Operator wrote the same way.
//
// It never creates states (internal/genstate does, for the ExternalSecret and PushSecret
// controllers), and never logs or puts in a condition or event anything of a state but
// names and IDs.
package generatorstate
