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
// spec.template. It records every value read, generated or rendered in s.secrets.
func (r *Reconciler) sourceData(ctx context.Context, s *scope) (map[string][]byte, error) {
	ps, secrets := s.ps, s.secrets
	if ps.Spec.Selector.GeneratorRef != nil {
		data, err := r.generate(ctx, s)
		if err != nil {
			return nil, err
		}
		secrets.AddMap(data)
		return r.applyTemplate(ctx, ps, data, secrets)
	}
	sel := ps.Spec.Selector.Secret
	if sel == nil {
		return nil, failure.Permanent(esv1.ReasonInvalidSpec, "spec.selector: name a Secret (secret) or a generator (generatorRef)")
	}
	data := map[string][]byte{}
	switch {
	case sel.Name != "":
		var s corev1.Secret
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ps.Namespace, Name: sel.Name}, &s); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, failure.Transient(ReasonErrored, fmt.Errorf("source Secret %s not found in namespace %s", sel.Name, ps.Namespace))
			}
			return nil, fmt.Errorf("reading source Secret %s: %w", sel.Name, err)
		}
		secrets.AddMap(s.Data)
		maps.Copy(data, s.Data)
	case sel.Selector != nil:
		s, err := metav1.LabelSelectorAsSelector(sel.Selector)
		if err != nil {
			return nil, failure.Permanent(esv1.ReasonInvalidSpec, "spec.selector.secret.selector: %v", err)
		}
		var list corev1.SecretList
		if err := r.APIReader.List(ctx, &list, client.InNamespace(ps.Namespace), client.MatchingLabelsSelector{Selector: s}); err != nil {
			return nil, fmt.Errorf("listing source Secrets: %w", err)
		}
		slices.SortFunc(list.Items, func(a, b corev1.Secret) int { return strings.Compare(a.Name, b.Name) })
		for _, s := range list.Items {
			secrets.AddMap(s.Data)
			maps.Copy(data, s.Data)
		}
	default:
		return nil, failure.Permanent(esv1.ReasonInvalidSpec, "spec.selector.secret: set name or selector")
	}
	return r.applyTemplate(ctx, ps, data, secrets)
}

// applyTemplate shapes the source data with spec.template as an ExternalSecret's template
// shapes fetched values (internal/render): data, templateFrom (ConfigMaps, Secrets and
// literals of the PushSecret's namespace) and metadata, which is rendered, so that its
// mistakes are reported, though no writer uses it yet.
func (r *Reconciler) applyTemplate(ctx context.Context, ps *esv1alpha1.PushSecret, data map[string][]byte, secrets *redact.Set) (map[string][]byte, error) {
	if ps.Spec.Template == nil {
		return data, nil
	}
	sources := render.APISources{Reader: r.APIReader, Namespace: ps.Namespace, Secrets: secrets}
	out, err := render.Render(ctx, ps.Spec.Template, data, sources)
	var rerr *render.Error
	if errors.As(err, &rerr) {
		// The renderer names the ExternalSecret's field; the PushSecret's is spec.template.
		msg := strings.Replace(err.Error(), "spec.target.template", "spec.template", 1)
		if rerr.Spec {
			return nil, failure.Permanent(esv1.ReasonInvalidSpec, "%s", msg)
		}
		return nil, failure.Permanent(ReasonErrored, "%s", msg)
	}
	if err != nil {
		return nil, fmt.Errorf("spec.template: %w", err)
	}
	secrets.AddMap(out.Data)
	return out.Data, nil
}
