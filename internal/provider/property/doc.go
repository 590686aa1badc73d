// Package property reads values out of JSON documents held by remote secrets: a path into a
// value (remoteRef.property) and the spreading of an object into Secret keys
// (dataFrom.extract). It is pure and shared by every provider. Errors name paths, never values.
package property
