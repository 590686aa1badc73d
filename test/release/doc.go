// Package release tests `make release` (hack/release.sh) as a maintainer runs it: the
// artefacts it writes, their names and versions, the checksums, and that one commit gives
// the same bytes twice.
package release
