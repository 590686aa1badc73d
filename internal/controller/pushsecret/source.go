package pushsecret

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/render"
)

// entryValue is one key of the source data, or (no key) the whole data as a JSON object.
func entryValue(data map[string][]byte, secretKey string, conversion esv1alpha1.PushSecretConversionStrategy) ([]byte, error) {
	if secretKey == "" {
		obj := make(map[string]string, len(data))
		for k, v := range data {
			if conversion == esv1alpha1.PushSecretConversionReverseUnicode {
				k = reverseUnicode(k)
			}
			obj[k] = string(v)
		}
		return json.Marshal(obj)
	}
	v, ok := data[secretKey]
	if !ok {
		return nil, fmt.Errorf("the source Secret has no key %q", secretKey)
	}
	return v, nil
}

// sourceData reads the selected Secret (or the Secrets matching the selector, merged in
// name order) of the PushSecret's namespace, or runs the selected generator, then applies
// spec.template. It returns the data and its Kubernetes metadata (nil for generated
// values), and records every value read, generated or rendered in s.secrets.
func (r *Reconciler) sourceData(ctx context.Context, s *scope) (map[string][]byte, *provider.SourceMeta, error) {
	ps, secrets := s.ps, s.secrets
	if ps.Spec.Selector.GeneratorRef != nil {
		data, err := r.generate(ctx, s)
		if err != nil {
			return nil, nil, err
		}
		secrets.AddMap(data)
		data, _, err = r.applyTemplate(ctx, ps, data, secrets)
		return data, nil, err
	}
	sel := ps.Spec.Selector.Secret
	if sel == nil {
		return nil, nil, failure.Permanent(esv1.ReasonInvalidSpec, "spec.selector: name a Secret (secret) or a generator (generatorRef)")
	}
	data := map[string][]byte{}
	meta := &provider.SourceMeta{Labels: map[string]string{}, Annotations: map[string]string{}}
	read := func(s *corev1.Secret) {
		secrets.AddMap(s.Data)
		maps.Copy(data, s.Data)
		copyOwnMetadata(meta.Labels, s.Labels)
		copyOwnMetadata(meta.Annotations, s.Annotations)
		meta.Type = string(s.Type)
	}
	switch {
	case sel.Name != "":
		var s corev1.Secret
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ps.Namespace, Name: sel.Name}, &s); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, nil, failure.Transient(ReasonErrored, fmt.Errorf("source Secret %s not found in namespace %s", sel.Name, ps.Namespace))
			}
			return nil, nil, fmt.Errorf("reading source Secret %s: %w", sel.Name, err)
		}
		read(&s)
	case sel.Selector != nil:
		s, err := metav1.LabelSelectorAsSelector(sel.Selector)
		if err != nil {
			return nil, nil, failure.Permanent(esv1.ReasonInvalidSpec, "spec.selector.secret.selector: %v", err)
		}
		var list corev1.SecretList
		if err := r.APIReader.List(ctx, &list, client.InNamespace(ps.Namespace), client.MatchingLabelsSelector{Selector: s}); err != nil {
			return nil, nil, fmt.Errorf("listing source Secrets: %w", err)
		}
		slices.SortFunc(list.Items, func(a, b corev1.Secret) int { return strings.Compare(a.Name, b.Name) })
		for i := range list.Items {
			read(&list.Items[i])
		}
	default:
		return nil, nil, failure.Permanent(esv1.ReasonInvalidSpec, "spec.selector.secret: set name or selector")
	}
	data, rendered, err := r.applyTemplate(ctx, ps, data, secrets)
	if err != nil {
		return nil, nil, err
	}
	if len(rendered.Labels) > 0 {
		meta.Labels = rendered.Labels
	}
	if len(rendered.Annotations) > 0 {
		meta.Annotations = rendered.Annotations
	}
	if t := ps.Spec.Template; t != nil && t.Type != "" {
		meta.Type = string(t.Type)
	}
	return data, meta, nil
}

// copyOwnMetadata copies the labels or annotations of a source Secret that describe its
// content rather than the object: not ESO's and Ferry's bookkeeping, nor kubectl's record of
// the last applied manifest (which holds the Secret's data).
func copyOwnMetadata(dst, src map[string]string) {
	for k, v := range src {
		if strings.HasPrefix(k, "reconcile.external-secrets.io/") || k == corev1.LastAppliedConfigAnnotation {
			continue
		}
		dst[k] = v
	}
}

// applyTemplate shapes the source data with spec.template as an ExternalSecret's template
// shapes fetched values (internal/render): data, templateFrom (ConfigMaps, Secrets and
// literals of the PushSecret's namespace) and metadata, which providers that keep
// Kubernetes metadata push.
func (r *Reconciler) applyTemplate(ctx context.Context, ps *esv1alpha1.PushSecret, data map[string][]byte,
	secrets *redact.Set) (map[string][]byte, render.Result, error) {
	if ps.Spec.Template == nil {
		return data, render.Result{}, nil
	}
	sources := render.APISources{Reader: r.APIReader, Namespace: ps.Namespace, Secrets: secrets}
	out, err := render.Render(ctx, ps.Spec.Template, data, sources)
	var rerr *render.Error
	if errors.As(err, &rerr) {
		// The renderer names the ExternalSecret's field; the PushSecret's is spec.template.
		msg := strings.Replace(err.Error(), "spec.target.template", "spec.template", 1)
		if rerr.Spec {
			return nil, out, failure.Permanent(esv1.ReasonInvalidSpec, "%s", msg)
		}
		return nil, out, failure.Permanent(ReasonErrored, "%s", msg)
	}
	if err != nil {
		return nil, out, fmt.Errorf("spec.template: %w", err)
	}
	secrets.AddMap(out.Data)
	return out.Data, out, nil
}
