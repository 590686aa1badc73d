package externalsecret

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/template"
)

// rendered is what spec.target.template makes of the fetched values.
type rendered struct {
	data        map[string][]byte
	labels      map[string]string
	annotations map[string]string
}

// render applies spec.target.template to the fetched values. Without templates the
// fetched values are the Secret's data; with them, the rendered keys are (and, with
// mergePolicy Merge, the fetched keys too). Template sources (templateFrom) are read from
// the ExternalSecret's own namespace, uncached: ConfigMaps are not held in memory.
func (r *Reconciler) render(ctx context.Context, es *esv1.ExternalSecret, fetched map[string][]byte) (rendered, error) {
	t := es.Spec.Target.Template
	out := rendered{data: fetched, labels: map[string]string{}, annotations: map[string]string{}}
	if t == nil {
		return out, nil
	}
	renderer, err := template.New(template.Engine(t.EngineVersion), fetched)
	if err != nil {
		return out, permanent(esv1.ReasonInvalidSpec, "spec.target.template.engineVersion: %v", err)
	}
	fail := func(field string, err error) error {
		return permanent(esv1.ReasonSecretSyncedError, "%s: %v", field, err)
	}
	if len(t.Data) > 0 || len(t.TemplateFrom) > 0 {
		out.data = map[string][]byte{}
		if t.MergePolicy == esv1.MergePolicyMerge {
			maps.Copy(out.data, fetched)
		}
	}
	for i, from := range t.TemplateFrom {
		field := fmt.Sprintf("spec.target.template.templateFrom[%d]", i)
		sources, err := r.templateSources(ctx, es.Namespace, from)
		if err != nil {
			return out, permanent(esv1.ReasonInvalidSpec, "%s: %v", field, err)
		}
		for _, src := range sources {
			target := map[string][]byte{}
			if err := renderer.Render(src.templates, src.scope, target); err != nil {
				return out, fail(field, err)
			}
			switch from.Target {
			case esv1.TemplateTargetAnnotations:
				for k, v := range target {
					out.annotations[k] = string(v)
				}
			case esv1.TemplateTargetLabels:
				for k, v := range target {
					out.labels[k] = string(v)
				}
			default:
				maps.Copy(out.data, target)
			}
		}
	}
	if err := renderer.Render(t.Data, template.ScopeValues, out.data); err != nil {
		return out, fail("spec.target.template.data", err)
	}
	if err := renderer.RenderMetadata(t.Metadata.Labels, out.labels); err != nil {
		return out, fail("spec.target.template.metadata.labels", err)
	}
	if err := renderer.RenderMetadata(t.Metadata.Annotations, out.annotations); err != nil {
		return out, fail("spec.target.template.metadata.annotations", err)
	}
	return out, nil
}

// templateSource is one set of templates read from a templateFrom entry.
type templateSource struct {
	templates map[string]string
	scope     template.Scope
}

// templateSources reads the templates one templateFrom entry names.
func (r *Reconciler) templateSources(ctx context.Context, namespace string, from esv1.TemplateFrom) ([]templateSource, error) {
	if from.Literal != nil {
		return []templateSource{{templates: map[string]string{"literal": *from.Literal}, scope: template.ScopeKeysAndValues}}, nil
	}
	var ref *esv1.TemplateRef
	var read func(name string) (map[string]string, error)
	switch {
	case from.ConfigMap != nil:
		ref = from.ConfigMap
		read = func(name string) (map[string]string, error) {
			var cm corev1.ConfigMap
			if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &cm); err != nil {
				return nil, describeGetError("ConfigMap", name, err)
			}
			return cm.Data, nil
		}
	case from.Secret != nil:
		ref = from.Secret
		read = func(name string) (map[string]string, error) {
			var s corev1.Secret
			if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &s); err != nil {
				return nil, describeGetError("Secret", name, err)
			}
			data := make(map[string]string, len(s.Data))
			for k, v := range s.Data {
				data[k] = string(v)
			}
			return data, nil
		}
	default:
		return nil, fmt.Errorf("set one of configMap, secret or literal")
	}
	data, err := read(ref.Name)
	if err != nil {
		return nil, err
	}
	var sources []templateSource
	for _, item := range ref.Items {
		text, ok := data[item.Key]
		if !ok {
			return nil, fmt.Errorf("%s has no key %q", ref.Name, item.Key)
		}
		scope := template.ScopeValues
		if item.TemplateAs == esv1.TemplateScopeKeysAndValues {
			scope = template.ScopeKeysAndValues
		}
		sources = append(sources, templateSource{templates: map[string]string{item.Key: text}, scope: scope})
	}
	return sources, nil
}

func describeGetError(kind, name string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %s not found in the ExternalSecret's namespace", kind, name)
	}
	return fmt.Errorf("reading %s %s: %w", kind, name, err)
}
