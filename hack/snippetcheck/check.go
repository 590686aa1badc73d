package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// groups are the API groups whose objects are checked.
var groups = map[string]bool{"external-secrets.io": true, "generators.external-secrets.io": true}

// Outcome is what happened to one checked object.
type Outcome struct {
	File, Kind, APIVersion, Name string
	// Refused holds the API server's error when the object was not admitted.
	Refused string
	// Lost are the spec paths written but absent from the response; Changed those whose value
	// differs; Added those the server added (defaults), not counted as losses.
	Lost, Changed, Added []string
	// Nulls are the paths written as null that the server dropped: they carry no value, so
	// they are not losses.
	Nulls []string
}

// Report is the result of checking a folder.
type Report struct {
	Outcomes []Outcome
	// Skipped lists files holding no object of the checked groups, with the reason.
	Skipped map[string]string
}

// Checker dry-run-creates objects through a dynamic client.
type Checker struct {
	Client    dynamic.Interface
	Mapper    meta.RESTMapper
	Namespace string
}

// CheckDir checks every .yaml, .yml and .json file directly under dir, in name order.
func (c *Checker) CheckDir(ctx context.Context, dir string) (*Report, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	rep := &Report{Skipped: map[string]string{}}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		if ext := filepath.Ext(name); ext != ".yaml" && ext != ".yml" && ext != ".json" {
			rep.Skipped[name] = "not a manifest"
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		objs, why := objectsOfGroups(b)
		if len(objs) == 0 {
			rep.Skipped[name] = why
			continue
		}
		for _, o := range objs {
			rep.Outcomes = append(rep.Outcomes, c.checkObject(ctx, name, o))
		}
	}
	return rep, nil
}

// objectsOfGroups decodes every document of a file and keeps the objects of the checked
// groups; when none is kept it says why.
func objectsOfGroups(b []byte) ([]*unstructured.Unstructured, string) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []*unstructured.Unstructured
	other := map[string]bool{}
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, "not parseable: " + err.Error()
		}
		if m == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() == "" {
			other["no kind"] = true
			continue
		}
		if !groups[u.GroupVersionKind().Group] {
			other[u.GetKind()] = true
			continue
		}
		out = append(out, u)
	}
	kinds := make([]string, 0, len(other))
	for k := range other {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	if len(kinds) == 0 {
		return out, "empty"
	}
	return out, "other objects: " + strings.Join(kinds, ", ")
}

// checkObject dry-run-creates one object and compares the spec read back with the one written.
func (c *Checker) checkObject(ctx context.Context, file string, u *unstructured.Unstructured) Outcome {
	gvk := u.GroupVersionKind()
	out := Outcome{File: file, Kind: gvk.Kind, APIVersion: u.GetAPIVersion(), Name: u.GetName()}
	mapping, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		out.Refused = err.Error()
		return out
	}
	var ri dynamic.ResourceInterface = c.Client.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		u.SetNamespace(c.Namespace)
		ri = c.Client.Resource(mapping.Resource).Namespace(c.Namespace)
	} else {
		u.SetNamespace("")
	}
	if u.GetName() == "" && u.GetGenerateName() == "" {
		// Some snippets leave the name out; name it so that the spec is still checked.
		u.SetGenerateName("snippetcheck-")
	}
	written := u.DeepCopy()
	got, err := ri.Create(ctx, u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		out.Refused = err.Error()
		return out
	}
	d := &diff{}
	d.compare("spec", written.Object["spec"], got.Object["spec"])
	out.Lost, out.Changed, out.Added, out.Nulls = d.lost, d.changed, d.added, d.nulls
	return out
}
