package pushsecret

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"

	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/genstate"
)

// stateKey is the key of a PushSecret's GeneratorStates: it has one generator use, its
// selector.
const stateKey = "selector"

// generate runs the generator spec.selector.generatorRef names and returns its values,
// which the PushSecret pushes as it pushes a Secret's data. What a stateful generator
// created is kept in s until the values are pushed (settleStates).
func (r *Reconciler) generate(ctx context.Context, s *scope) (map[string][]byte, error) {
	ref := s.ps.Spec.Selector.GeneratorRef
	generated, err := r.generators().Generate(ctx, *ref, s.ps.Namespace, "spec.selector.generatorRef")
	if err != nil {
		return nil, err
	}
	s.generated = true
	if generated.State != nil {
		s.states = append(s.states, genstate.Pending{Key: stateKey, Generated: generated})
	}
	return generated.Values, nil
}

// generators runs the PushSecret's generator.
func (r *Reconciler) generators() *genstate.Runner {
	return &genstate.Runner{Generators: r.Generators, Direct: r.Direct, Namespaces: r.Namespaces,
		GracePeriod: r.GeneratorGCGracePeriod, RetryReason: ReasonErrored, Now: r.Now}
}

func owner(ps *esv1alpha1.PushSecret) genstate.Owner {
	return genstate.Owner{Object: ps, Kind: esv1alpha1.PushSecretKind, APIVersion: esv1alpha1.SchemeGroupVersion.String()}
}

// settleStates records what this reconcile's stateful generator created once its values
// are pushed everywhere (syncErr nil), and undoes it otherwise. A PushSecret that pushes a
// Secret flags the states it kept from a generator it used before for collection, as ESO
// does when the selector changes.
func (r *Reconciler) settleStates(ctx context.Context, s *scope, syncErr error) {
	switch {
	case syncErr != nil:
		r.generators().Rollback(ctx, owner(s.ps), s.states)
	case s.generated:
		r.generators().Commit(ctx, owner(s.ps), s.states)
	case r.Generators != nil:
		// The cached client: GeneratorStates are watched by their collector, and most
		// PushSecrets never had any.
		if err := r.generators().Retire(ctx, r.Client, owner(s.ps), stateKey, ""); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Could not flag the states of a generator no longer used for cleanup")
		}
	}
	s.states = nil
}
