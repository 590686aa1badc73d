#!/usr/bin/env bash
# Runs every fuzz target of the repository for a while, one after another, with one
# fuzzing worker each (the machine is shared): `hack/fuzz.sh [DURATION]`, 30s by default.
# make test runs each for 5s, make fuzz for FUZZTIME (45s). `go test` alone runs only the
# seed corpora. Targets are found by their declaration, func FuzzX(f *testing.F), in
# *_test.go files; a failing input is kept by go test under the package's testdata/fuzz/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fuzztime=${1:-30s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

targets=$(grep -rE --include='*_test.go' --exclude-dir=.cache --exclude-dir=.git --exclude-dir=hack \
	'^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . | sed -E 's|^\./(.*)/[^/]+:func (Fuzz[A-Za-z0-9_]+).*|\1 \2|' | sort)
[ -n "$targets" ] || { echo "no fuzz targets found" >&2; exit 1; }

failed=0
while read -r dir name; do
	start=$(date +%s)
	if go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 1s -parallel 1 "./$dir" >"$log" 2>&1; then
		echo "ok   $name ./$dir ($(($(date +%s) - start))s)"
	else
		echo "FAIL $name ./$dir"
		cat "$log"
		failed=1
	fi
done <<<"$targets"
exit $failed
