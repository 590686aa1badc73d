//go:build !linux

package main

// releaseBinaryPages does nothing where the process's mappings cannot be read.
func releaseBinaryPages() uint64 { return 0 }
