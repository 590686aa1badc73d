package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/conversion"
	"sigs.k8s.io/yaml"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator"
)

// runConvert implements `ferry convert [FILE...]`: it rewrites manifests from older
// external-secrets.io versions to v1, offline. Other documents pass through unchanged.
func runConvert(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ferry convert [FILE...]   (reads stdin without files; writes YAML to stdout)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	scheme := operator.Scheme()
	first := true
	for _, name := range inputs {
		in := stdin
		if name != "-" {
			f, err := os.Open(name) //nolint:gosec // reading the files the user names is the point
			if err != nil {
				return err
			}
			defer f.Close()
			in = f
		}
		reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
		for n := 1; ; n++ {
			doc, err := reader.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: document %d: %w", name, n, err)
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			out, err := convertDoc(scheme, doc)
			if err != nil {
				return fmt.Errorf("%s: document %d: %w", name, n, err)
			}
			if !first {
				fmt.Fprintln(stdout, "---")
			}
			first = false
			if _, err := stdout.Write(out); err != nil {
				return err
			}
		}
	}
	return nil
}

// convertDoc converts one YAML document to v1 when it is an older external-secrets.io
// object, and returns it unchanged otherwise.
func convertDoc(scheme *runtime.Scheme, doc []byte) ([]byte, error) {
	var u unstructured.Unstructured
	if err := yaml.Unmarshal(doc, &u.Object); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	gvk := u.GroupVersionKind()
	if gvk.Group != esv1.Group || gvk.Version == esv1.Version {
		return doc, nil
	}
	obj, err := scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("%s is not a kind Ferry serves: %w", gvk, err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, obj, true); err != nil {
		return nil, fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
	}
	spoke, ok := obj.(conversion.Convertible)
	if !ok {
		return nil, fmt.Errorf("%s cannot be converted", gvk)
	}
	hub, err := scheme.New(schema.GroupVersionKind{Group: esv1.Group, Version: esv1.Version, Kind: gvk.Kind})
	if err != nil {
		return nil, err
	}
	if err := spoke.ConvertTo(hub.(conversion.Hub)); err != nil {
		return nil, fmt.Errorf("converting %s %s: %w", gvk.Kind, u.GetName(), err)
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(hub)
	if err != nil {
		return nil, err
	}
	out := &unstructured.Unstructured{Object: content}
	out.SetAPIVersion(esv1.SchemeGroupVersion.String())
	out.SetKind(gvk.Kind)
	unstructured.RemoveNestedField(out.Object, "status")
	unstructured.RemoveNestedField(out.Object, "metadata", "creationTimestamp")
	return yaml.Marshal(out.Object)
}

func stripComments(doc []byte) []byte {
	var b bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}
