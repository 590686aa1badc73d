package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	stamped := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261203234448-7dded56abcde+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "7dded56abcdef0123456789abcdef0123456789a"},
			{Key: "vcs.time", Value: "2026-12-03T23:44:48Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	tests := []struct {
		name                string
		ldVersion, ldCommit string
		ldDate              string
		bi                  *debug.BuildInfo
		want                Info
	}{{
		name:      "link-time values win over the VCS stamp",
		ldVersion: "1.2.3", ldCommit: "abc", ldDate: "2027-01-02T03:04:05Z", bi: stamped,
		want: Info{Version: "1.2.3", Commit: "abc", BuildDate: "2027-01-02T03:04:05Z", GoVersion: "go1.26.8"},
	}, {
		name:      "a leading v of a tag is dropped",
		ldVersion: "v1.2.3", bi: stamped,
		want: Info{Version: "1.2.3", Commit: "7dded56abcdef0123456789abcdef0123456789a-dirty", BuildDate: "2026-12-03T23:44:48Z", GoVersion: "go1.26.8"},
	}, {
		name: "a plain go build of a checkout reports the pseudo-version, revision and commit time",
		bi:   stamped,
		want: Info{Version: "0.0.0-20261203234448-7dded56abcde+dirty", Commit: "7dded56abcdef0123456789abcdef0123456789a-dirty",
			BuildDate: "2026-12-03T23:44:48Z", GoVersion: "go1.26.8"},
	}, {
		name: "no VCS stamp (go run, or a build outside a checkout)",
		bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
		want: Info{Version: "dev", Commit: Unknown, BuildDate: Unknown, GoVersion: "go1.26.8"},
	}, {
		name:      "a version name that only starts with v stays whole",
		ldVersion: "vnext", bi: &debug.BuildInfo{GoVersion: "go1.26.8"},
		want: Info{Version: "vnext", Commit: Unknown, BuildDate: Unknown, GoVersion: "go1.26.8"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolve(tt.ldVersion, tt.ldCommit, tt.ldDate, tt.bi); got != tt.want {
				t.Errorf("resolve() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	got := Info{Version: "1.2.3", Commit: "abc", BuildDate: "2027-01-02T03:04:05Z", GoVersion: "go1.26.8"}.String()
	if want := "ferry 1.2.3 (commit abc, built 2027-01-02T03:04:05Z, go1.26.8)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
