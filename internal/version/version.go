package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at link time, e.g.
//
//	go build -ldflags "-X github.com/ferryhq/ferry/internal/version.version=1.2.3
//	  -X github.com/ferryhq/ferry/internal/version.commit=$(git rev-parse HEAD)
//	  -X github.com/ferryhq/ferry/internal/version.date=2026-01-02T03:04:05Z"
//
// Empty values fall back to the binary's build information.
var (
	version string
	commit  string
	date    string
)

// Unknown stands for a field neither -ldflags nor the build information gave.
const Unknown = "unknown"

// Info describes one build of Ferry.
type Info struct {
	// Version is the release version without a leading "v" (e.g. "1.2.3"), the module
	// pseudo-version of an untagged checkout, or "dev".
	Version string `json:"version"`
	// Commit is the full source revision, with "-dirty" when the tree had local changes.
	Commit string `json:"commit"`
	// BuildDate is when the binary was built (RFC 3339), or the commit time.
	BuildDate string `json:"buildDate"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"goVersion"`
}

// Get returns the running binary's build.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, date, bi)
}

// String is the one line `ferry version` prints.
func (i Info) String() string {
	return fmt.Sprintf("ferry %s (commit %s, built %s, %s)", i.Version, i.Commit, i.BuildDate, i.GoVersion)
}

// resolve prefers the link-time values and fills what is missing from the build information.
func resolve(ldVersion, ldCommit, ldDate string, bi *debug.BuildInfo) Info {
	info := Info{Version: ldVersion, Commit: ldCommit, BuildDate: ldDate, GoVersion: runtime.Version()}
	var revision, vcsTime string
	modified := false
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = moduleVersion(bi)
	}
	if info.Commit == "" && revision != "" {
		info.Commit = revision
		if modified {
			info.Commit += "-dirty"
		}
	}
	if info.BuildDate == "" {
		info.BuildDate = vcsTime
	}
	if info.Commit == "" {
		info.Commit = Unknown
	}
	if info.BuildDate == "" {
		info.BuildDate = Unknown
	}
	if len(info.Version) > 1 && info.Version[0] == 'v' && info.Version[1] >= '0' && info.Version[1] <= '9' {
		info.Version = info.Version[1:]
	}
	return info
}

// moduleVersion is the main module's version the go command stamped: a tag, or a
// pseudo-version for an untagged commit; "dev" when there is none ("(devel)").
func moduleVersion(bi *debug.BuildInfo) string {
	if bi == nil || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return "dev"
	}
	return bi.Main.Version
}
