package externalsecret

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/render"
)

// GenericTargets configures spec.target.manifest, ESO's generic targets: an ExternalSecret
// that writes a ConfigMap or a custom resource instead of a Secret. Values written there
// are not stored as Secrets are, so it is off unless the operator opts in.
type GenericTargets struct {
	// Enabled is --unsafe-allow-generic-targets.
	Enabled bool
	// Kinds, when set, are the only kinds that may be written (--generic-target-kinds);
	// empty allows every kind, as ESO does, leaving the limit to Ferry's RBAC.
	Kinds []schema.GroupKind
}

// ParseGenericTargetKinds reads --generic-target-kinds entries: "Kind" for the core group
// (ConfigMap), "group/Kind" otherwise (example.com/Widget).
func ParseGenericTargetKinds(entries []string) ([]schema.GroupKind, error) {
	var kinds []schema.GroupKind
	for _, entry := range entries {
		group, kind, found := strings.Cut(strings.TrimSpace(entry), "/")
		if !found {
			group, kind = "", group
		}
		if kind == "" || strings.Contains(kind, "/") || (found && group == "") {
			return nil, fmt.Errorf("generic target kind %q: write Kind for the core group (ConfigMap) or group/Kind (example.com/Widget)", entry)
		}
		kinds = append(kinds, schema.GroupKind{Group: group, Kind: kind})
	}
	return kinds, nil
}

// Condition reasons of generic targets.
const (
	reasonGenericTargetsDisabled = "GenericTargetsDisabled"
	reasonTargetKindNotAllowed   = "TargetKindNotAllowed"
	reasonTargetKindNotInstalled = "TargetKindNotInstalled"
)

// isGeneric says whether the ExternalSecret writes something other than a Secret. A
// manifest naming v1 Secret is a Secret target like any other.
func isGeneric(es *esv1.ExternalSecret) bool {
	m := es.Spec.Target.Manifest
	return m != nil && (m.APIVersion != "v1" || m.Kind != "Secret")
}

// targetKind is the kind the ExternalSecret writes, for messages.
func targetKind(es *esv1.ExternalSecret) string {
	if isGeneric(es) {
		return es.Spec.Target.Manifest.Kind
	}
	return "Secret"
}

// genericGVK is the group, version and kind spec.target.manifest names.
func genericGVK(es *esv1.ExternalSecret) (schema.GroupVersionKind, error) {
	m := es.Spec.Target.Manifest
	gv, err := schema.ParseGroupVersion(m.APIVersion)
	if err != nil || m.APIVersion == "" || m.Kind == "" {
		return schema.GroupVersionKind{}, failure.Permanent(esv1.ReasonInvalidSpec,
			"spec.target.manifest: apiVersion %q and kind %q do not name a kind: write apiVersion as group/version (v1 for the core group)",
			m.APIVersion, m.Kind)
	}
	return gv.WithKind(m.Kind), nil
}

// allow decides whether this Ferry may write the ExternalSecret's generic target: a pure
// function of the operator's flags and the spec.
func (g GenericTargets) allow(es *esv1.ExternalSecret) error {
	gvk, err := genericGVK(es)
	if err != nil {
		return err
	}
	named := gvk.GroupKind().String()
	if !g.Enabled {
		return failure.Permanent(reasonGenericTargetsDisabled,
			"spec.target.manifest names %s (%s), but generic targets are disabled: start Ferry with --unsafe-allow-generic-targets "+
				"(Helm: genericTargets.enabled=true and the kind in genericTargets.kinds); nothing was written", named, gvk.GroupVersion())
	}
	if len(g.Kinds) > 0 && !slices.Contains(g.Kinds, gvk.GroupKind()) {
		allowed := make([]string, len(g.Kinds))
		for i, k := range g.Kinds {
			allowed[i] = k.String()
		}
		return failure.Permanent(reasonTargetKindNotAllowed,
			"spec.target.manifest names %s, which this Ferry may not write (allowed: %s): add it to --generic-target-kinds "+
				"(Helm: genericTargets.kinds); nothing was written", named, strings.Join(allowed, ", "))
	}
	return nil
}

// readGeneric returns the generic target, or nil when it does not exist, its kind is not
// served, or Ferry may not write it (the sync reports why). It is read from the API server:
// Ferry caches no generic target.
func (r *Reconciler) readGeneric(ctx context.Context, es *esv1.ExternalSecret) (*unstructured.Unstructured, error) {
	if r.GenericTargets.allow(es) != nil {
		return nil, nil
	}
	gvk, _ := genericGVK(es)
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: es.Namespace, Name: targetName(es)}, obj)
	switch {
	case err == nil:
		return obj, nil
	case apierrors.IsNotFound(err), meta.IsNoMatchError(err), apierrors.IsForbidden(err):
		return nil, nil
	}
	return nil, fmt.Errorf("reading target %s: %w", gvk.Kind, err)
}

// managedFieldsAnnotation lists the paths of a generic target Ferry wrote, as JSON, so that
// a drift can be told from the live object alone and a path no longer rendered removed.
const managedFieldsAnnotation = "ferry.dev/managed-fields"

// placement is a value Ferry writes at a path of a generic target.
type placement struct {
	path  []string
	value any
}

// genericPlacements is where the rendered values go, as ESO places them: a ConfigMap's keys
// in .data (.binaryData for bytes that are not UTF-8); another kind's in .spec.data without
// a template, and in .data with one; then templateFrom entries at their field paths.
func genericPlacements(es *esv1.ExternalSecret, gvk schema.GroupVersionKind, shaped render.Result) ([]placement, error) {
	var out []placement
	if gvk.Group == "" && gvk.Kind == "ConfigMap" {
		text, binary := map[string]any{}, map[string]any{}
		for k, v := range shaped.Data {
			if utf8.Valid(v) {
				text[k] = string(v)
			} else {
				binary[k] = base64.StdEncoding.EncodeToString(v)
			}
		}
		out = appendNonEmpty(out, []string{"data"}, text)
		out = appendNonEmpty(out, []string{"binaryData"}, binary)
	} else {
		data := map[string]any{}
		for _, k := range slices.Sorted(maps.Keys(shaped.Data)) {
			if !utf8.Valid(shaped.Data[k]) {
				return nil, failure.Permanent(esv1.ReasonSecretSyncedError,
					"key %q is not UTF-8 text, which a %s cannot hold: decode it (decodingStrategy) or leave it out", k, gvk.Kind)
			}
			data[k] = string(shaped.Data[k])
		}
		path := []string{"data"}
		if es.Spec.Target.Template == nil {
			path = []string{"spec", "data"}
		}
		out = appendNonEmpty(out, path, data)
	}
	for _, f := range shaped.Fields {
		out = append(out, placement{path: f.Path, value: f.Value})
	}
	return out, nil
}

func appendNonEmpty(out []placement, path []string, values map[string]any) []placement {
	if len(values) == 0 {
		return out
	}
	return append(out, placement{path: path, value: values})
}

// place writes the placements into obj. A path Ferry wrote before and no longer renders is
// removed; unless merge, each path's value replaces what obj holds there. Several
// placements at one path merge their mappings, as ESO's do.
func place(obj map[string]any, placements []placement, previous [][]string, merge bool) [][]string {
	paths := [][]string{}
	if !merge {
		for _, p := range previous {
			if !slices.ContainsFunc(placements, func(pl placement) bool { return slices.Equal(pl.path, p) }) {
				unstructured.RemoveNestedField(obj, p...)
			}
		}
	}
	for _, pl := range placements {
		placedBefore := slices.ContainsFunc(paths, func(p []string) bool { return slices.Equal(p, pl.path) })
		current, found, _ := unstructured.NestedFieldNoCopy(obj, pl.path...)
		value := deepCopyValue(pl.value)
		if found && (merge || placedBefore) {
			old, oldMap := current.(map[string]any)
			add, addMap := value.(map[string]any)
			if oldMap && addMap {
				merged := maps.Clone(old)
				maps.Copy(merged, add)
				value = merged
			}
		}
		if err := unstructured.SetNestedField(obj, value, pl.path...); err != nil {
			// A segment on the way holds a scalar or a list: replace it, as a path is Ferry's.
			unstructured.RemoveNestedField(obj, pl.path[0])
			_ = unstructured.SetNestedField(obj, value, pl.path...)
		}
		if !placedBefore {
			paths = append(paths, pl.path)
		}
	}
	return paths
}

func deepCopyValue(v any) any {
	if v == nil {
		return nil
	}
	return runtime.DeepCopyJSONValue(v)
}

// managedFields reads the paths Ferry wrote into a generic target.
func managedFields(obj *unstructured.Unstructured) [][]string {
	var paths [][]string
	if raw := obj.GetAnnotations()[managedFieldsAnnotation]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &paths)
	}
	return paths
}

// fieldsDigest is the keyed digest of what obj holds at paths.
func (r *Reconciler) fieldsDigest(obj map[string]any, paths [][]string) string {
	values := make(map[string][]byte, len(paths))
	for _, p := range paths {
		name, _ := json.Marshal(p)
		value, _, _ := unstructured.NestedFieldNoCopy(obj, p...)
		values[string(name)], _ = json.Marshal(value)
	}
	return r.HashKey.Data(values)
}

// untouchedGeneric says whether a generic target still carries our label and what we wrote.
func (r *Reconciler) untouchedGeneric(obj *unstructured.Unstructured) bool {
	if obj.GetLabels()[esv1.LabelManaged] != esv1.LabelManagedValue {
		return false
	}
	if _, ok := obj.GetAnnotations()[managedFieldsAnnotation]; !ok {
		return false
	}
	return obj.GetAnnotations()[esv1.AnnotationDataHash] == r.fieldsDigest(obj.Object, managedFields(obj))
}

// rememberValues adds the strings a generic target holds at the paths Ferry wrote to the
// values no message may carry.
func rememberValues(s *scope, obj *unstructured.Unstructured) {
	for _, p := range managedFields(obj) {
		value, _, _ := unstructured.NestedFieldNoCopy(obj.Object, p...)
		walkStrings(value, func(v string) { s.secrets.Add([]byte(v)) })
	}
}

func walkStrings(v any, visit func(string)) {
	switch v := v.(type) {
	case string:
		visit(v)
	case map[string]any:
		for _, e := range v {
			walkStrings(e, visit)
		}
	case []any:
		for _, e := range v {
			walkStrings(e, visit)
		}
	}
}

// applyGeneric makes the generic target hold the rendered values, under the creation
// policy, as apply does for a Secret.
func (r *Reconciler) applyGeneric(ctx context.Context, s *scope, shaped render.Result) (outcome, error) {
	es := s.es
	gvk, err := genericGVK(es)
	if err != nil {
		return unchanged, err
	}
	if err := r.checkNamespaced(gvk); err != nil {
		return unchanged, err
	}
	placements, err := genericPlacements(es, gvk, shaped)
	if err != nil {
		return unchanged, err
	}
	if s.object == nil {
		o, err := r.createGeneric(ctx, s, gvk, placements)
		if o == created || err != nil {
			return o, err
		}
	}
	existing := s.object
	if err := checkOwner(es, existing, gvk.Kind); err != nil {
		return unchanged, err
	}
	desired := existing.DeepCopy()
	if err := r.shapeGeneric(s, desired, placements, managedFields(existing)); err != nil {
		return unchanged, err
	}
	if equality.Semantic.DeepEqual(existing.Object, desired.Object) {
		return unchanged, nil
	}
	r.Metrics.SecretWrite("update")
	if err := r.genericWriter().Update(ctx, desired); err != nil {
		return unchanged, writeError(err, "updating", gvk.Kind, desired.GetName())
	}
	return updated, nil
}

// genericWriter is the client that writes generic targets: uncached, since the manager's
// client would wait to read each write back from an informer of the kind's whole objects,
// which Ferry does not keep (it watches their metadata only).
func (r *Reconciler) genericWriter() client.Client {
	if r.Direct != nil {
		return r.Direct
	}
	return r.Client
}

// checkNamespaced refuses a kind the API server does not serve, or serves cluster-wide: a
// generic target lives in its ExternalSecret's namespace, as in ESO.
func (r *Reconciler) checkNamespaced(gvk schema.GroupVersionKind) error {
	mapping, err := r.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	switch {
	case meta.IsNoMatchError(err):
		return failure.Permanent(reasonTargetKindNotInstalled,
			"spec.target.manifest: the API server does not serve kind %s in %s (is its CustomResourceDefinition installed?); "+
				"Ferry tries again at the next refresh", gvk.Kind, gvk.GroupVersion())
	case err != nil:
		return failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("looking up kind %s: %w", gvk.Kind, err))
	case mapping.Scope.Name() != meta.RESTScopeNameNamespace:
		return failure.Permanent(esv1.ReasonInvalidSpec,
			"spec.target.manifest: %s is cluster-scoped; a generic target is a namespaced object in the ExternalSecret's namespace", gvk.GroupKind())
	}
	return nil
}

// createGeneric creates the generic target; when one exists already it reads it into
// s.object and returns unchanged, for applyGeneric to adopt or refuse it.
func (r *Reconciler) createGeneric(ctx context.Context, s *scope, gvk schema.GroupVersionKind, placements []placement) (outcome, error) {
	es := s.es
	name := targetName(es)
	if creationPolicy(es) == esv1.CreatePolicyMerge {
		return unchanged, failure.Permanent(esv1.ReasonSecretMissing,
			"target %s %s does not exist and creationPolicy Merge only merges into an existing one: create it, or use CreateOrMerge",
			gvk.Kind, name)
	}
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	obj.SetGroupVersionKind(gvk)
	obj.SetNamespace(es.Namespace)
	obj.SetName(name)
	if err := r.shapeGeneric(s, obj, placements, nil); err != nil {
		return unchanged, err
	}
	r.Metrics.SecretWrite("create")
	err := r.genericWriter().Create(ctx, obj)
	switch {
	case err == nil:
		return created, nil
	case !apierrors.IsAlreadyExists(err):
		return unchanged, writeError(err, "creating", gvk.Kind, name)
	}
	existing := &unstructured.Unstructured{}
	existing.SetGroupVersionKind(gvk)
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(obj), existing); err != nil {
		// Deleted since: the next try creates it.
		return unchanged, failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("creating %s %s: it exists: %w", gvk.Kind, name, err))
	}
	rememberValues(s, existing)
	s.object = existing
	return unchanged, nil
}

// shapeGeneric sets the rendered values, labels, annotations and owner of obj.
func (r *Reconciler) shapeGeneric(s *scope, obj *unstructured.Unstructured, placements []placement, previous [][]string) error {
	paths := place(obj.Object, placements, previous, merges(s.es))
	if err := r.shapeMeta(s, obj, obj.GetKind()); err != nil {
		return err
	}
	annotations := obj.GetAnnotations()
	encoded, _ := json.Marshal(paths)
	annotations[managedFieldsAnnotation] = string(encoded)
	annotations[esv1.AnnotationDataHash] = r.fieldsDigest(obj.Object, paths)
	obj.SetAnnotations(annotations)
	return nil
}

// writeError classifies a failed write of a target: a kind the API server does not serve
// and a write Ferry's RBAC forbids wait for an operator; a conflict and the rest are
// retried.
func writeError(err error, verb, kind, name string) error {
	switch {
	case meta.IsNoMatchError(err), apierrors.IsNotFound(err) && verb == "creating":
		return failure.Permanent(reasonTargetKindNotInstalled,
			"%s %s %s: the API server does not serve kind %s (is its CustomResourceDefinition installed?); Ferry tries again at the next refresh",
			verb, kind, name, kind)
	case apierrors.IsForbidden(err):
		return failure.Permanent(esv1.ReasonSecretSyncedError,
			"%s %s %s: Ferry's ServiceAccount may not write this kind: grant it get, list, watch, create, update, patch and delete on it "+
				"(Helm: genericTargets.kinds): %w", verb, kind, name, err)
	case apierrors.IsInvalid(err):
		return failure.Permanent(esv1.ReasonSecretSyncedError, "%s %s %s: the API server refused it: %w", verb, kind, name, err)
	case apierrors.IsConflict(err):
		return failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("%s %s %s: it changed meanwhile: %w", verb, kind, name, err))
	}
	return failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("%s %s %s: %w", verb, kind, name, err))
}
