package validation

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/render"
	"github.com/ferryhq/ferry/internal/schedule"
	"github.com/ferryhq/ferry/internal/template"
)

// problems collects the problems of one object, each a message naming its field.
type problems []error

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Errorf(format, args...)) }

// admit records a problem that External Secrets Operator's webhook admits (it fails only at
// sync): Ferry's webhook admits it too, with a warning, since no manifest ESO accepts may be
// refused, and the controller reports it as InvalidSpec before any read.
func (p *problems) admit(format string, args ...any) {
	*p = append(*p, provider.AdmittedMistake(format, args...))
}

func (p problems) err() error { return errors.Join(p...) }

// ExternalSecret returns every problem of the spec as written, joined, or nil. Those ESO's
// webhook refuses too are plain errors; those it admits are provider.AdmittedMistake, which
// Ferry's webhook turns into warnings.
func ExternalSecret(es *esv1.ExternalSecret) error {
	spec := &es.Spec
	var p problems
	target := spec.Target
	if len(spec.Data) == 0 && len(spec.DataFrom) == 0 && (target.Template == nil ||
		(len(target.Template.Data) == 0 && len(target.Template.TemplateFrom) == 0)) {
		p.add("spec: set spec.data or spec.dataFrom (or a template with data): there is nothing to sync")
	}
	if target.DeletionPolicy == esv1.DeletionPolicyDelete && creationPolicy(spec) != esv1.CreatePolicyOwner &&
		creationPolicy(spec) != esv1.CreatePolicyOrphan {
		p.add("spec.target.deletionPolicy: Delete needs creationPolicy Owner or Orphan, not %s: Ferry deletes only Secrets it created",
			creationPolicy(spec))
	}
	if target.DeletionPolicy == esv1.DeletionPolicyMerge && creationPolicy(spec) == esv1.CreatePolicyNone {
		p.add("spec.target.deletionPolicy: Merge cannot be used with creationPolicy None: no Secret is written to merge into")
	}
	if target.Manifest != nil {
		p.manifest(target.Manifest)
	}
	if target.Template != nil {
		p.template("spec.target.template", target.Template)
		p.templateTargets(target)
		switch target.Template.Type {
		case corev1.SecretTypeServiceAccountToken, corev1.SecretTypeBootstrapToken:
			p.admit("spec.target.template.type: %s Secrets cannot be managed by Ferry: the API server or cluster bootstrap owns them", target.Template.Type)
		}
	}
	if err := spec.RefreshInterval.Err(); err != nil {
		p.add("spec.refreshInterval: %v", err)
	} else if spec.RefreshInterval != nil && spec.RefreshInterval.Duration < 0 {
		p.admit("spec.refreshInterval: must not be negative, got %s", spec.RefreshInterval.Duration)
	}
	// ESO refuses a key written twice only under deletionPolicy Retain (the default).
	p.data(spec.Data, target.DeletionPolicy == "" || target.DeletionPolicy == esv1.DeletionPolicyRetain)
	for i, df := range spec.DataFrom {
		p.dataFrom(i, df)
	}
	if _, err := schedule.WindowsOf(es); err != nil {
		p.admit("%v", err)
	}
	return p.err()
}

// template checks the template at field: every template parses, and templateFrom entries
// name one source each.
func (p *problems) template(field string, t *esv1.ExternalSecretTemplate) {
	engine := template.Engine(t.EngineVersion)
	for _, key := range slices.Sorted(maps.Keys(t.Data)) {
		if err := template.Check(engine, key, t.Data[key]); err != nil {
			p.admit("%s.data[%s]: %v", field, key, err)
		}
	}
	for i, from := range t.TemplateFrom {
		if from.Literal != nil {
			if err := template.Check(engine, "literal", *from.Literal); err != nil {
				p.admit("%s.templateFrom[%d].literal: %v", field, i, err)
			}
		}
		if n := btoi(from.Literal != nil) + btoi(from.ConfigMap != nil) + btoi(from.Secret != nil); n != 1 {
			p.admit("%s.templateFrom[%d]: set exactly one of configMap, secret or literal (found %d)", field, i, n)
		}
	}
	for _, meta := range []struct {
		field string
		m     map[string]string
	}{{"labels", t.Metadata.Labels}, {"annotations", t.Metadata.Annotations}} {
		for _, key := range slices.Sorted(maps.Keys(meta.m)) {
			if err := template.Check(engine, key, meta.m[key]); err != nil {
				p.admit("%s.metadata.%s[%s]: %v", field, meta.field, key, err)
			}
		}
	}
}

// manifest checks spec.target.manifest: an apiVersion Kubernetes can parse. ESO's webhook
// admits any text (it fails at sync), so this is a warning too.
func (p *problems) manifest(m *esv1.ManifestReference) {
	if _, err := schema.ParseGroupVersion(m.APIVersion); err != nil || m.APIVersion == "" {
		p.admit("spec.target.manifest.apiVersion: %q is not an apiVersion (group/version, or v1 for the core group)", m.APIVersion)
	}
}

// templateTargets checks templateFrom[].target: a field path (spec.database) only places
// values in a generic target, and never in the metadata, status or type of the object.
func (p *problems) templateTargets(target esv1.ExternalSecretTarget) {
	for i, from := range target.Template.TemplateFrom {
		if !render.FieldPath(from.Target) {
			continue
		}
		field := fmt.Sprintf("spec.target.template.templateFrom[%d].target", i)
		if target.Manifest == nil {
			p.admit("%s: %q is a field path, which only a generic target (spec.target.manifest) has; "+
				"a Secret takes Data, Annotations or Labels", field, from.Target)
			continue
		}
		segments := strings.Split(string(from.Target), ".")
		if slices.Contains(segments, "") {
			p.admit("%s: %q has an empty segment: write a dot-separated path such as spec.database", field, from.Target)
			continue
		}
		switch segments[0] {
		case "apiVersion", "kind", "metadata", "status":
			p.admit("%s: %q is not a path Ferry writes: use Labels or Annotations for metadata; apiVersion, kind and status are not templated",
				field, from.Target)
		}
	}
}

// data checks spec.data: each key written once (refusedTwice: ESO refuses it too), each
// entry naming a remote key.
func (p *problems) data(data []esv1.ExternalSecretData, refusedTwice bool) {
	seen := map[string]int{}
	for i, d := range data {
		if j, dup := seen[d.SecretKey]; dup {
			record := p.admit
			if refusedTwice {
				record = p.add
			}
			record("spec.data[%d].secretKey: %q is also written by spec.data[%d]: each key may be written once", i, d.SecretKey, j)
		}
		seen[d.SecretKey] = i
		if d.RemoteRef.Key == "" && (d.SourceRef == nil || d.SourceRef.GeneratorRef == nil) {
			p.admit("spec.data[%d].remoteRef.key: required", i)
		}
	}
}

// dataFrom checks spec.dataFrom[i]: one source, and valid find expressions and rewrites. A
// find without conditions is admitted, as ESO admits it: the providers that serve it as
// "every secret" (as ESO does for them) read it so, and the others report it at sync.
func (p *problems) dataFrom(i int, df esv1.ExternalSecretDataFromRemoteRef) {
	n := btoi(df.Extract != nil) + btoi(df.Find != nil) + btoi(df.SourceRef != nil && df.SourceRef.GeneratorRef != nil)
	switch {
	case n == 0 && df.SourceRef != nil && df.SourceRef.SecretStoreRef != nil:
		// ESO admits an entry that names only its store.
		p.admit("spec.dataFrom[%d]: set exactly one of extract, find or sourceRef.generatorRef (found none)", i)
	case n != 1:
		p.add("spec.dataFrom[%d]: set exactly one of extract, find or sourceRef.generatorRef (found %d)", i, n)
	}
	if df.Extract != nil && df.Extract.Key == "" {
		p.admit("spec.dataFrom[%d].extract.key: required", i)
	}
	if f := df.Find; f != nil {
		if f.Name != nil {
			if _, err := regexp.Compile(f.Name.RegExp); err != nil {
				p.admit("spec.dataFrom[%d].find.name.regexp: invalid regular expression: %v", i, err)
			}
		}
	}
	for j, rw := range df.Rewrite {
		p.rewrite(fmt.Sprintf("spec.dataFrom[%d].rewrite[%d]", i, j), rw.Regexp, rw.Transform)
	}
}

// rewrite checks one rewrite rule at field: its regular expression compiles and its
// transform template parses.
func (p *problems) rewrite(field string, re *esv1.ExternalSecretRewriteRegexp, tr *esv1.ExternalSecretRewriteTransform) {
	if re != nil {
		if _, err := regexp.Compile(re.Source); err != nil {
			p.admit("%s.regexp.source: invalid regular expression: %v", field, err)
		}
	}
	if tr != nil {
		if err := template.Check(template.EngineV2, "transform", tr.Template); err != nil {
			p.admit("%s.transform.template: %v", field, err)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func creationPolicy(spec *esv1.ExternalSecretSpec) esv1.ExternalSecretCreationPolicy {
	if spec.Target.CreationPolicy == "" {
		return esv1.CreatePolicyOwner
	}
	return spec.Target.CreationPolicy
}

// Unsupported returns the first field of the spec that this version of Ferry accepts in
// the schema but does not act on yet, or nil.
func Unsupported(es *esv1.ExternalSecret) error {
	spec := &es.Spec
	for i, d := range spec.Data {
		if d.SourceRef != nil && d.SourceRef.GeneratorRef != nil {
			// ESO's schema has the field, but neither ESO nor Ferry generates into one key.
			return fmt.Errorf("spec.data[%d].sourceRef.generatorRef is not supported: use generators through "+
				"spec.dataFrom[].sourceRef.generatorRef (and rewrite or a template to pick keys)", i)
		}
	}
	return nil
}
