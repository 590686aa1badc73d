#!/usr/bin/env bash
# Checks Ferry's dependencies and the Go standard library it is built with against the Go
# vulnerability database, offline, and fails when Ferry's code can reach a known vulnerability
# (govulncheck's source mode: a vulnerable module that is required but never called does not
# fail). make test runs it last.
#
#   hack/vulncheck.sh [packages...]      default ./...
#
# The database is the golang.org/x/vulndb module at VULNDB_VERSION, fetched from the Go module
# proxy like any module (about 8 MB, kept in the module cache): its data/osv folder holds one
# OSV file per advisory, which govulncheck reads as a local database. Move the pin forward to
# learn of newer advisories: `go list -m golang.org/x/vulndb@latest` names the newest version.
#
# FERRY_VULNDB=DIR uses another folder of OSV files (or a v1 database) instead.
# VULNCHECK=off skips the check and says so; nothing else skips it. When the database cannot
# be had, the check fails: an unchecked build is not reported as a clean one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

if [ "${VULNCHECK:-}" = off ]; then
	echo "vulncheck: SKIPPED (VULNCHECK=off): dependencies were NOT checked for known vulnerabilities" >&2
	exit 0
fi

bin=$(hack/tools.sh govulncheck)
db=${FERRY_VULNDB:-}
if [ -z "$db" ]; then
	if ! dir=$(cd / && GOFLAGS= go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') || [ -z "$dir" ]; then
		echo "vulncheck: FAILED: the vulnerability database golang.org/x/vulndb@$VULNDB_VERSION could not be fetched" >&2
		echo "  from the Go module proxy; dependencies were NOT checked. Set FERRY_VULNDB=DIR to a folder of" >&2
		echo "  OSV files, or VULNCHECK=off to skip the check knowingly." >&2
		exit 1
	fi
	db=$dir/data/osv
fi
entries=$(find "$db" -maxdepth 2 -name 'GO-*.json' | wc -l)
if [ "$entries" -eq 0 ]; then
	echo "vulncheck: FAILED: $db holds no advisories (GO-*.json); dependencies were NOT checked" >&2
	exit 1
fi
newest=$(find "$db" -maxdepth 2 -name 'GO-*.json' -printf '%f\n' | sort -V | tail -1)
echo "vulncheck: $("$bin/govulncheck" -version 2>/dev/null | sed -n 's/^Scanner: *//p'), database $db ($entries advisories, newest ${newest%.json}), $(go env GOVERSION)"
[ $# -gt 0 ] || set -- ./...
"$bin/govulncheck" -db "file://$db" "$@"
