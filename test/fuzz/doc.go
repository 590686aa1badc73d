// Package fuzz holds fuzz targets that cross packages: what a provider answers on the wire,
// through the real AWS SDK and Ferry's provider, into the values a sync uses. They need no
// control plane, so they fuzz fast; make fuzz runs them with the others.
package fuzz
