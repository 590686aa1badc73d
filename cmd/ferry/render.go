package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/render"
)

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// runRender implements `ferry render`: it renders an ExternalSecret's template offline,
// against sample values, so a template can be tried before it is applied.
func runRender(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	file := fs.String("f", "", "the ExternalSecret manifest (any served version)")
	valuesFile := fs.String("values", "", "YAML or JSON map of the fetched values (key: value) the template sees")
	var configMaps, secrets stringList
	fs.Var(&configMaps, "configmap", "a ConfigMap manifest that templateFrom reads (repeatable)")
	fs.Var(&secrets, "secret", "a Secret manifest that templateFrom reads (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ferry render -f externalsecret.yaml --values values.yaml [--configmap cm.yaml] [--secret s.yaml]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || *valuesFile == "" {
		fs.Usage()
		return fmt.Errorf("-f and --values are required")
	}
	es, err := readExternalSecret(*file)
	if err != nil {
		return err
	}
	values, err := readValues(*valuesFile)
	if err != nil {
		return err
	}
	sources := fileSources{configMaps: map[string]map[string]string{}, secrets: map[string]map[string]string{}}
	for _, f := range configMaps {
		var cm corev1.ConfigMap
		if err := readYAML(f, &cm); err != nil {
			return err
		}
		sources.configMaps[cm.Name] = cm.Data
	}
	for _, f := range secrets {
		var s corev1.Secret
		if err := readYAML(f, &s); err != nil {
			return err
		}
		data := map[string]string{}
		for k, v := range s.Data {
			data[k] = string(v)
		}
		for k, v := range s.StringData {
			data[k] = v
		}
		sources.secrets[s.Name] = data
	}
	result, err := render.Render(context.Background(), es.Spec.Target.Template, values, sources)
	if err != nil {
		return err
	}
	return writeSecret(stdout, es, result)
}

func readExternalSecret(file string) (*esv1.ExternalSecret, error) {
	raw, err := os.ReadFile(file) //nolint:gosec // reading the file the user names is the point
	if err != nil {
		return nil, err
	}
	v1doc, err := convertDoc(operator.Scheme(), raw)
	if err != nil {
		return nil, err
	}
	es := &esv1.ExternalSecret{}
	if err := yaml.UnmarshalStrict(v1doc, es); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if es.Kind != esv1.ExtSecretKind {
		return nil, fmt.Errorf("%s holds a %s, not an ExternalSecret", file, es.Kind)
	}
	return es, nil
}

func readValues(file string) (map[string][]byte, error) {
	var raw map[string]string
	if err := readYAML(file, &raw); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(raw))
	for k, v := range raw {
		out[k] = []byte(v)
	}
	return out, nil
}

func readYAML(file string, into any) error {
	raw, err := os.ReadFile(file) //nolint:gosec // reading the file the user names is the point
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

// writeSecret prints the Secret the ExternalSecret would produce; text values go to
// stringData so they can be read, anything else to data.
func writeSecret(w io.Writer, es *esv1.ExternalSecret, result render.Result) error {
	name := es.Spec.Target.Name
	if name == "" {
		name = es.Name
	}
	secret := corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: es.Namespace, Labels: result.Labels, Annotations: result.Annotations},
		Type:       corev1.SecretTypeOpaque,
	}
	if t := es.Spec.Target.Template; t != nil && t.Type != "" {
		secret.Type = t.Type
	}
	for k, v := range result.Data {
		if utf8.Valid(v) && !bytes.ContainsRune(v, 0) {
			if secret.StringData == nil {
				secret.StringData = map[string]string{}
			}
			secret.StringData[k] = string(v)
			continue
		}
		if secret.Data == nil {
			secret.Data = map[string][]byte{}
		}
		secret.Data[k] = v
	}
	if len(secret.Labels) == 0 {
		secret.Labels = nil
	}
	if len(secret.Annotations) == 0 {
		secret.Annotations = nil
	}
	out, err := yaml.Marshal(&secret)
	if err != nil {
		return err
	}
	out = bytes.Replace(out, []byte("  creationTimestamp: null\n"), nil, 1)
	_, err = w.Write(out)
	return err
}

// fileSources serves templateFrom from manifests given on the command line.
type fileSources struct {
	configMaps, secrets map[string]map[string]string
}

func (s fileSources) ConfigMap(_ context.Context, name string) (map[string]string, error) {
	if d, ok := s.configMaps[name]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("ConfigMap %s was not given: pass it with --configmap", name)
}

func (s fileSources) Secret(_ context.Context, name string) (map[string]string, error) {
	if d, ok := s.secrets[name]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("secret %s was not given: pass it with --secret", name)
}
