// Package main is hack/image, the builder of Ferry's container image; see main.go.
package main
