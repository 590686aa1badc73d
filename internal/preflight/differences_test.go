package preflight_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/preflight"
)

var anchorPattern = regexp.MustCompile(`<a id="([^"]+)"></a>`)

// TestDifferencesMatchTheDocs keeps the table of differences and the docs in step: each
// difference's anchor exists in the page it names, and every difference the migration page
// anchors is in the table, so preflight reports what the docs say and nothing else.
func TestDifferencesMatchTheDocs(t *testing.T) {
	root := filepath.Join("..", "..")
	anchors := map[string]map[string]bool{} // page -> anchors
	read := func(page string) map[string]bool {
		if a, ok := anchors[page]; ok {
			return a
		}
		text, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatalf("difference names page %s: %v", page, err)
		}
		a := map[string]bool{}
		for _, m := range anchorPattern.FindAllStringSubmatch(string(text), -1) {
			a[m[1]] = true
		}
		anchors[page] = a
		return a
	}
	ids := map[string]bool{}
	for _, d := range preflight.Differences {
		if ids[d.ID] {
			t.Errorf("difference %s listed twice", d.ID)
		}
		ids[d.ID] = true
		page, anchor, ok := strings.Cut(d.Doc, "#")
		if !ok || d.Summary == "" {
			t.Errorf("difference %s: doc %q has no anchor, or no summary", d.ID, d.Doc)
			continue
		}
		if !read(page)[anchor] {
			t.Errorf("difference %s: %s has no <a id=%q></a>", d.ID, page, anchor)
		}
	}
	for anchor := range read("docs/migrating-from-eso-and-reloader.md") {
		if id, ok := strings.CutPrefix(anchor, "diff-"); ok && !ids[id] {
			t.Errorf("docs/migrating-from-eso-and-reloader.md documents difference %q, which preflight does not report", id)
		}
	}
}
