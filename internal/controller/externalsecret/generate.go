package externalsecret

import (
	"context"
	"errors"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/generator"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/storeref"
)

// generate runs the generator that the dataFrom entry at field names. It is called only
// when the object syncs (decide), so values are generated anew exactly then: on creation,
// when the refresh interval elapses, when the spec or the object's metadata changes, and
// when the target Secret is missing or was edited by hand — the values it held are not
// kept anywhere else.
//
// A generator that creates something at a service (Grafana) also returns a state; it is
// kept in s until the Secret holds the values (commitStates) or the sync fails
// (rollbackStates).
func (r *Reconciler) generate(ctx context.Context, s *scope, index int, field string, ref esv1.GeneratorRef) (map[string][]byte, error) {
	namespace := s.es.Namespace
	field += ".sourceRef.generatorRef"
	if r.Generators == nil {
		return nil, failure.Permanent(esv1.ReasonNotSupported, "%s: this Ferry instance serves no generators", field)
	}
	if ref.Kind == genv1alpha1.ClusterGeneratorKind && len(r.Namespaces) > 0 {
		return nil, failure.Permanent(esv1.ReasonNotSupported, "%s: ClusterGenerator %q: this Ferry serves only %s "+
			"(--namespaces) and reads no cluster-scoped generators: use a generator in the namespace", field, ref.Name, storeref.Served(r.Namespaces))
	}
	generated, err := r.Generators.GenerateState(ctx, r.Direct, r.Direct, ref, namespace)
	switch {
	case errors.Is(err, generator.ErrInvalidSpec):
		return nil, failure.Permanent(esv1.ReasonInvalidSpec, "%s: %v", field, err)
	case errors.Is(err, generator.ErrNotImplemented):
		return nil, failure.Permanent(esv1.ReasonProviderNotImplemented, "%s: %v", field, err)
	case errors.Is(err, generator.ErrNotServed):
		return nil, failure.Permanent(esv1.ReasonNotSupported, "%s: %v", field, err)
	case err != nil:
		// A generator not created yet, or a backend that failed: worth retrying.
		return nil, failure.Transient(esv1.ReasonSecretSyncedError, fmt.Errorf("%s: %w", field, redact.Foreign(err)))
	}
	if generated.State != nil {
		s.states = append(s.states, pendingState{index: index, generated: generated})
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Generated values", "generatorKind", ref.Kind, "generator", ref.Name, "keys", len(generated.Values))
	return generated.Values, nil
}
