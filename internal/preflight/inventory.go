package preflight

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/conversion"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	esv1beta1 "github.com/ferryhq/ferry/api/externalsecrets/v1beta1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// generatorStateKind is ESO's record of resources its generators created; it is ESO's
// bookkeeping, not an object a user asks anything of, so preflight does not judge it.
const generatorStateKind = "GeneratorState"

// Object is one object as read, decoded to the version Ferry works with.
type Object struct {
	// Kind, APIVersion, Namespace and Name are as written.
	Kind, APIVersion, Namespace, Name string
	// Source says where it was read: "FILE:DOC" for manifests (DOC counts the YAML documents
	// of the file from 1), empty for a cluster.
	Source string
	// Labels are the object's labels (PushSecrets select stores by them).
	Labels map[string]string

	// unknownFields lists fields Ferry's types do not have (the API server would drop them).
	unknownFields string
	// typed is the hub object: a GenericStore, *esv1.ExternalSecret,
	// *esv1.ClusterExternalSecret, *esv1alpha1.PushSecret or *generatorObject; nil for a
	// kind Ferry does not serve in that version.
	typed any
}

// generatorObject is what preflight needs of a generators.external-secrets.io object,
// whatever its kind: Ferry decides by kind name, so kinds it has no types for are judged too.
type generatorObject struct {
	// kind generates: the object's kind, or a ClusterGenerator's spec.kind.
	kind string
	// controller is spec.controller (of the kind's spec, for a ClusterGenerator).
	controller string
}

// Inventory is the set of objects to judge; stores and generators are also what the other
// objects are checked against.
type Inventory struct {
	Objects []Object
	// Complete is true when the inventory is everything a cluster holds, so that a store
	// missing from it does not exist (rather than being in files that were not read).
	Complete bool
}

var scheme = newScheme()

func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{esv1.AddToScheme, esv1beta1.AddToScheme, esv1alpha1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

// Add decodes one object (or each item of a List) of the external-secrets.io or
// generators.external-secrets.io groups and adds it; objects of other groups are ignored.
// An object that does not decode is an error naming source.
func (inv *Inventory) Add(u *unstructured.Unstructured, source string) error {
	if u.IsList() {
		items, err := u.ToList()
		if err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
		for i := range items.Items {
			if err := inv.Add(&items.Items[i], fmt.Sprintf("%s[%d]", source, i)); err != nil {
				return err
			}
		}
		return nil
	}
	gvk := u.GroupVersionKind()
	obj := Object{Kind: gvk.Kind, APIVersion: u.GetAPIVersion(), Namespace: u.GetNamespace(), Name: u.GetName(),
		Source: source, Labels: u.GetLabels()}
	switch gvk.Group {
	case esv1.Group:
		if err := decodeTyped(u, &obj); err != nil {
			return fmt.Errorf("%s: %s %s: %w", source, gvk.Kind, u.GetName(), err)
		}
	case genv1alpha1.Group:
		if gvk.Kind == generatorStateKind {
			return nil
		}
		g, err := decodeGenerator(u)
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", source, gvk.Kind, u.GetName(), err)
		}
		obj.typed = g
	default:
		return nil
	}
	inv.Objects = append(inv.Objects, obj)
	return nil
}

// decodeTyped decodes an external-secrets.io object into its type and converts it to v1
// (the hub) when it has an older shape. A kind that Ferry does not serve in that version
// keeps typed nil.
func decodeTyped(u *unstructured.Unstructured, obj *Object) error {
	gvk := u.GroupVersionKind()
	typed, err := scheme.New(gvk)
	if err != nil {
		return nil //nolint:nilerr // a kind Ferry does not serve: judged as such, not an input error
	}
	if strictErr := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, typed, true); strictErr != nil {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, typed); err != nil {
			return err
		}
		obj.unknownFields = strictErr.Error()
	}
	if spoke, ok := typed.(conversion.Convertible); ok {
		hub, err := scheme.New(schema.GroupVersionKind{Group: esv1.Group, Version: esv1.Version, Kind: gvk.Kind})
		if err != nil {
			return err
		}
		if err := spoke.ConvertTo(hub.(conversion.Hub)); err != nil {
			return fmt.Errorf("converting to %s: %w", esv1.SchemeGroupVersion, err)
		}
		typed = hub
	}
	obj.typed = typed
	return nil
}

func decodeGenerator(u *unstructured.Unstructured) (*generatorObject, error) {
	g := &generatorObject{kind: u.GetKind()}
	spec, _, err := unstructured.NestedMap(u.Object, "spec")
	if err != nil {
		return nil, err
	}
	if g.kind == genv1alpha1.ClusterGeneratorKind {
		// spec.kind names the kind; spec.generator holds one <kind>Spec field.
		g.kind, _ = spec["kind"].(string)
		generator, _ := spec["generator"].(map[string]any)
		for field, value := range generator {
			if inner, ok := value.(map[string]any); ok && strings.HasSuffix(field, "Spec") {
				g.controller, _ = inner["controller"].(string)
			}
		}
		return g, nil
	}
	g.controller, _ = spec["controller"].(string)
	return g, nil
}
