package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// After the release, the test binary's own file pages are no longer counted in its RSS, and
// the code it runs next is faulted back in from the file as it was.
func TestReleaseBinaryPages(t *testing.T) {
	before := rssFileKiB(t)
	released := releaseBinaryPages()
	after := rssFileKiB(t)
	if released == 0 {
		t.Fatal("released no mapping of the test binary")
	}
	if after >= before {
		t.Errorf("RssFile %d KiB before the release, %d KiB after: want it lower", before, after)
	}
	// The released code and data run as before.
	if got := strconv.Itoa(42) + strings.Repeat("x", 2); got != "42xx" {
		t.Errorf("code after the release computed %q", got)
	}
	t.Logf("released %d MiB of mappings; RssFile %d → %d KiB", released>>20, before, after)
}

func TestReadOnly(t *testing.T) {
	for perms, want := range map[string]bool{"r-xp": true, "r--p": true, "rw-p": false, "r--s": false, "---p": false, "rwxp": false} {
		if got := readOnly(perms); got != want {
			t.Errorf("readOnly(%q) = %v, want %v", perms, got, want)
		}
	}
}

func rssFileKiB(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssFile:"); ok {
			v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}
