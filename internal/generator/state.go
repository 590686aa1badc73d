package generator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// StatefulGenerator is a Generator whose values stand for something it created at a
// service (a Grafana service-account token), which must be removed once the values are
// replaced. The Registry calls GenerateWithState instead of Generate and hands the state
// back to Cleanup later, possibly in another process: the state is JSON kept in a
// GeneratorState object.
type StatefulGenerator interface {
	Generator
	// GenerateWithState returns new values and what Cleanup needs to remove them.
	GenerateWithState(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, json.RawMessage, error)
	// Cleanup removes what one GenerateWithState created; what is already gone is no error.
	Cleanup(ctx context.Context, spec *genv1alpha1.GeneratorSpec, state json.RawMessage, kube client.Client, namespace string) error
}

// Generated is the outcome of one generation.
type Generated struct {
	// Values are the keys and values for the Secret.
	Values map[string][]byte
	// State is what a StatefulGenerator created, to clean up later; nil for other kinds.
	State json.RawMessage
	// Resource is the generator that ran, as a generators.external-secrets.io object of the
	// kind that generated (a ClusterGenerator's spec.kind), with its spec: what Cleanup
	// needs besides the state.
	Resource json.RawMessage
}

// GenerateState is Generate, also returning the state of a StatefulGenerator and the
// resource that made it.
func (r *Registry) GenerateState(ctx context.Context, reader client.Reader, kube client.Client, ref esv1.GeneratorRef,
	namespace string) (*Generated, error) {
	g, resolved, err := r.resolve(ctx, reader, ref, namespace)
	if err != nil {
		return nil, err
	}
	stateful, ok := g.(StatefulGenerator)
	if !ok {
		values, err := g.Generate(ctx, resolved.Spec, kube, namespace)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", ref.Kind, ref.Name, err)
		}
		return &Generated{Values: values}, nil
	}
	resource, err := resourceJSON(resolved, ref.Name, namespace)
	if err != nil {
		return nil, err
	}
	values, state, err := stateful.GenerateWithState(ctx, resolved.Spec, kube, namespace)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", ref.Kind, ref.Name, err)
	}
	return &Generated{Values: values, State: state, Resource: resource}, nil
}

// resourceJSON is the generator object that ran, as Cleanup reads it back.
func resourceJSON(resolved *Resolved, name, namespace string) (json.RawMessage, error) {
	obj, spec := emptyGenerator(resolved.Kind)
	if obj == nil {
		return nil, fmt.Errorf("%s generators keep no state", resolved.Kind)
	}
	// Copy the resolved spec into the object through the union both point into.
	raw, err := json.Marshal(resolved.Spec)
	if err != nil {
		return nil, fmt.Errorf("encoding the generator: %w", err)
	}
	if err := json.Unmarshal(raw, spec); err != nil {
		return nil, fmt.Errorf("encoding the generator: %w", err)
	}
	obj.SetName(name)
	obj.SetNamespace(namespace)
	encoded, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding the generator: %w", err)
	}
	var withType map[string]any
	if err := json.Unmarshal(encoded, &withType); err != nil {
		return nil, fmt.Errorf("encoding the generator: %w", err)
	}
	withType["apiVersion"] = genv1alpha1.SchemeGroupVersion.String()
	withType["kind"] = resolved.Kind
	out, err := json.Marshal(withType)
	if err != nil {
		return nil, fmt.Errorf("encoding the generator: %w", err)
	}
	return out, nil
}

// Cleanup removes what the generator in resource (a Generated.Resource, or the
// spec.resource of a GeneratorState External Secrets Operator wrote) created, as state
// records, acting for namespace. A kind without state has nothing to clean up.
func (r *Registry) Cleanup(ctx context.Context, kube client.Client, resource, state json.RawMessage, namespace string) error {
	var meta metav1.TypeMeta
	if err := json.Unmarshal(resource, &meta); err != nil {
		return invalid(errors.New("spec.resource: not a generator object"))
	}
	obj, spec := emptyGenerator(meta.Kind)
	if obj == nil {
		return invalid(fmt.Errorf("spec.resource: kind %q is not a generator kind", meta.Kind))
	}
	if err := json.Unmarshal(resource, obj); err != nil {
		return invalid(fmt.Errorf("spec.resource: not a %s: %w", meta.Kind, err))
	}
	g, ok := r.byKind[meta.Kind].(StatefulGenerator)
	if !ok {
		return nil
	}
	if err := validationOf(meta.Kind, spec); err != nil {
		return invalid(fmt.Errorf("spec.resource: %w", err))
	}
	return g.Cleanup(ctx, spec, state, kube, namespace)
}
