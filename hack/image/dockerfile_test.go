package main

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDockerfileMatchesTheImage checks the Dockerfile, which no test can build (this
// project's machines run no container engine), against what `make image` builds: the same
// Go release as go.mod's toolchain line, -X flags that name internal/version's variables,
// the same user, entrypoint and OCI label keys. A Dockerfile that drifts from the image
// users get from a release fails here.
func TestDockerfileMatchesTheImage(t *testing.T) {
	docker := readRepoFile(t, "Dockerfile")
	gomod := readRepoFile(t, "go.mod")

	toolchain := regexp.MustCompile(`(?m)^toolchain go(\S+)$`).FindStringSubmatch(gomod)
	goVersion := regexp.MustCompile(`(?m)^ARG GO_VERSION=(\S+)$`).FindStringSubmatch(docker)
	if toolchain == nil || goVersion == nil || toolchain[1] != goVersion[1] {
		t.Errorf("Dockerfile builds with Go %v, go.mod's toolchain is %v", goVersion, toolchain)
	}

	versionSource := readRepoFile(t, "internal/version/version.go")
	for _, m := range regexp.MustCompile(`-X github\.com/ferryhq/ferry/internal/version\.(\w+)=`).FindAllStringSubmatch(docker, -1) {
		if !regexp.MustCompile(`(?m)^\s+` + m[1] + `\s+string$`).MatchString(versionSource) {
			t.Errorf("Dockerfile sets internal/version.%s, which is no string variable of that package", m[1])
		}
	}
	if n := strings.Count(docker, "-X github.com/ferryhq/ferry/internal/version."); n != 3 {
		t.Errorf("Dockerfile sets %d of internal/version's variables, want version, commit and date", n)
	}

	nonrootUser := strconv.Itoa(nonroot) + ":" + strconv.Itoa(nonroot)
	if !regexp.MustCompile(`(?m)^USER ` + regexp.QuoteMeta(nonrootUser) + `$`).MatchString(docker) {
		t.Errorf("Dockerfile does not run as %s, the image's user", nonrootUser)
	}
	if !strings.Contains(docker, `ENTRYPOINT ["/ferry"]`) || !strings.Contains(docker, "COPY --from=build /out/ferry /ferry") {
		t.Error(`Dockerfile does not put the binary at /ferry with ENTRYPOINT ["/ferry"], as the image does`)
	}

	var labels []string
	for _, m := range regexp.MustCompile(`(org\.opencontainers\.image\.[a-z]+)=`).FindAllStringSubmatch(docker, -1) {
		labels = append(labels, m[1])
	}
	slices.Sort(labels)
	if want := slices.Sorted(maps.Keys(options{}.labels())); !slices.Equal(labels, want) {
		t.Errorf("Dockerfile labels %v, the image's are %v", labels, want)
	}
}

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile("../../" + path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
