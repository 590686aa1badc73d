// Package render shapes fetched values into a Secret through an ExternalSecret's
// spec.target.template: data, templateFrom (ConfigMaps, Secrets, literals; Values or
// KeysAndValues; Data, Annotations, Labels, or a field path such as spec.database for a
// generic target) and metadata. The controller and the offline
// `ferry render` command share it, so a template renders the same in both. Where the
// templates of templateFrom come from is the caller's: a Sources value. Errors name the
// template and line, never a value.
package render

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/template"
)

// Sources reads the ConfigMaps and Secrets that templateFrom names, in the
// ExternalSecret's namespace.
type Sources interface {
	ConfigMap(ctx context.Context, name string) (map[string]string, error)
	Secret(ctx context.Context, name string) (map[string]string, error)
}

// Result is what the template makes of the fetched values.
type Result struct {
	Data        map[string][]byte
	Labels      map[string]string
	Annotations map[string]string
	// Fields are what templateFrom entries whose target is a field path rendered, in the
	// order of the entries: only a generic target (spec.target.manifest) has such fields.
	Fields []Field
}

// Field is a rendered value placed at a path of the target object (the segments of a
// dot-separated templateFrom target, and with Values the key as one last segment).
type Field struct {
	Path  []string
	Value any
}

// FieldPath says whether a templateFrom target is a field path (spec, spec.database) rather
// than one of Data, Annotations and Labels, which ESO matches in any case.
func FieldPath(target esv1.TemplateTarget) bool {
	for _, named := range []esv1.TemplateTarget{"", esv1.TemplateTargetData, esv1.TemplateTargetAnnotations, esv1.TemplateTargetLabels} {
		if strings.EqualFold(string(target), string(named)) {
			return false
		}
	}
	return true
}

// Error is a template failure; Field names the part of the spec that failed.
type Error struct {
	Field string
	// Spec is true when the spec itself is wrong (a source missing, a bad engine), false when
	// rendering these values failed.
	Spec bool
	Err  error
}

func (e *Error) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Render applies t to the fetched values. Without templates the fetched values are the
// data; with them, the rendered keys are (and, with mergePolicy Merge, the fetched keys too).
func Render(ctx context.Context, t *esv1.ExternalSecretTemplate, fetched map[string][]byte, sources Sources) (Result, error) {
	out := Result{Data: fetched, Labels: map[string]string{}, Annotations: map[string]string{}}
	if t == nil {
		return out, nil
	}
	renderer, err := template.New(template.Engine(t.EngineVersion), fetched)
	if err != nil {
		return out, &Error{Field: "spec.target.template.engineVersion", Spec: true, Err: err}
	}
	if len(t.Data) > 0 || len(t.TemplateFrom) > 0 {
		out.Data = map[string][]byte{}
		if t.MergePolicy == esv1.MergePolicyMerge {
			maps.Copy(out.Data, fetched)
		}
	}
	for i, from := range t.TemplateFrom {
		field := fmt.Sprintf("spec.target.template.templateFrom[%d]", i)
		list, err := templateSources(ctx, from, sources)
		if err != nil {
			return out, &Error{Field: field, Spec: true, Err: err}
		}
		for _, src := range list {
			if FieldPath(from.Target) {
				fields, err := renderFields(renderer, string(from.Target), src)
				if err != nil {
					return out, &Error{Field: field, Err: err}
				}
				out.Fields = append(out.Fields, fields...)
				continue
			}
			target := map[string][]byte{}
			if err := renderer.Render(src.templates, src.scope, target); err != nil {
				return out, &Error{Field: field, Err: err}
			}
			switch {
			case strings.EqualFold(string(from.Target), string(esv1.TemplateTargetAnnotations)):
				for k, v := range target {
					out.Annotations[k] = string(v)
				}
			case strings.EqualFold(string(from.Target), string(esv1.TemplateTargetLabels)):
				for k, v := range target {
					out.Labels[k] = string(v)
				}
			default:
				maps.Copy(out.Data, target)
			}
		}
	}
	if err := renderer.Render(t.Data, template.ScopeValues, out.Data); err != nil {
		return out, &Error{Field: "spec.target.template.data", Err: err}
	}
	if err := renderer.RenderMetadata(t.Metadata.Labels, out.Labels); err != nil {
		return out, &Error{Field: "spec.target.template.metadata.labels", Err: err}
	}
	if err := renderer.RenderMetadata(t.Metadata.Annotations, out.Annotations); err != nil {
		return out, &Error{Field: "spec.target.template.metadata.annotations", Err: err}
	}
	return out, nil
}

// renderFields renders one source for a field path. A KeysAndValues template is one YAML
// document placed at the path; with Values each template's output is a string placed
// under the path at its key (path.key), as ESO places Values at "spec".
func renderFields(renderer *template.Renderer, path string, src source) ([]Field, error) {
	if src.scope == template.ScopeKeysAndValues {
		var fields []Field
		for _, name := range slices.Sorted(maps.Keys(src.templates)) {
			doc, err := renderer.RenderDocument(name, src.templates[name])
			if err != nil {
				return nil, err
			}
			fields = append(fields, Field{Path: strings.Split(path, "."), Value: doc})
		}
		return fields, nil
	}
	values := map[string][]byte{}
	if err := renderer.Render(src.templates, src.scope, values); err != nil {
		return nil, err
	}
	fields := make([]Field, 0, len(values))
	for _, key := range slices.Sorted(maps.Keys(values)) {
		fields = append(fields, Field{Path: append(strings.Split(path, "."), key), Value: string(values[key])})
	}
	return fields, nil
}

// source is one set of templates read from a templateFrom entry.
type source struct {
	templates map[string]string
	scope     template.Scope
}

func templateSources(ctx context.Context, from esv1.TemplateFrom, sources Sources) ([]source, error) {
	if from.Literal != nil {
		return []source{{templates: map[string]string{"literal": *from.Literal}, scope: template.ScopeKeysAndValues}}, nil
	}
	var ref *esv1.TemplateRef
	var data map[string]string
	var err error
	switch {
	case from.ConfigMap != nil:
		ref = from.ConfigMap
		data, err = sources.ConfigMap(ctx, ref.Name)
	case from.Secret != nil:
		ref = from.Secret
		data, err = sources.Secret(ctx, ref.Name)
	default:
		return nil, errors.New("set one of configMap, secret or literal")
	}
	if err != nil {
		return nil, err
	}
	var out []source
	for _, item := range ref.Items {
		text, ok := data[item.Key]
		if !ok {
			return nil, fmt.Errorf("%s has no key %q", ref.Name, item.Key)
		}
		scope := template.ScopeValues
		if item.TemplateAs == esv1.TemplateScopeKeysAndValues {
			scope = template.ScopeKeysAndValues
		}
		out = append(out, source{templates: map[string]string{item.Key: text}, scope: scope})
	}
	return out, nil
}
