// Package conditions sets and finds the status conditions of every kind Ferry reconciles.
// ESO's API gives each kind a condition type of its own; each implements Condition through
// accessors in api/, so one Set and one Find serve every controller.
package conditions
