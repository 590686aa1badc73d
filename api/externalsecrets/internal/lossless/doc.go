// Package lossless carries, through a conversion between two versions of an API object, the
// values that the destination version has no field for, so that converting back gives the
// original object again.
//
// The values live in one annotation (v1.AnnotationConversionData) as JSON: for each API
// version, the values of that version which the object's current version cannot hold, by
// section name. A conversion from version A to version B reads the values kept for B, uses
// those that still fit the object, and writes the values of A that B cannot hold; the values
// kept for any other version are carried unchanged. This is what Kubernetes' own API
// conversions do with their "lost fields" annotations.
//
// This package holds conversion plumbing only: it must not know the fields of any API type,
// and must not log, call an API server or keep state between conversions.
package lossless
