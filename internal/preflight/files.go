package preflight

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// ReadPath reads the manifests of a file, or of every .yaml, .yml and .json file under a
// folder (recursively, skipping hidden folders), into an inventory. Files hold any number of
// YAML documents; a document may be a List (as kubectl get -o yaml writes). Documents
// without apiVersion and kind, and kinds of other API groups, are skipped.
func ReadPath(path string) (*Inventory, error) {
	inv := &Inventory{}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return inv, readFile(inv, path)
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && p != path && strings.HasPrefix(d.Name(), "."):
			return filepath.SkipDir
		case d.IsDir():
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			return readFile(inv, p)
		}
		return nil
	})
	return inv, err
}

func readFile(inv *Inventory, path string) error {
	f, err := os.Open(path) //nolint:gosec // reading the files the user names is the point
	if err != nil {
		return err
	}
	defer f.Close()
	reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		source := fmt.Sprintf("%s:%d", path, n)
		if err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
		var u unstructured.Unstructured
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			return fmt.Errorf("%s: not valid YAML (render templates first, e.g. with helm template): %w", source, err)
		}
		if u.Object == nil || u.GetAPIVersion() == "" || u.GetKind() == "" {
			continue
		}
		if err := inv.Add(&u, source); err != nil {
			return err
		}
	}
}
