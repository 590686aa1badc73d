package externalsecret

import (
	"context"
	"strconv"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/genstate"
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
	generated, err := r.generators().Generate(ctx, ref, s.es.Namespace, field+".sourceRef.generatorRef")
	if err != nil {
		return nil, err
	}
	if generated.State != nil {
		s.states = append(s.states, genstate.Pending{Key: strconv.Itoa(index), Generated: generated})
	}
	return generated.Values, nil
}

// generators runs the generators of dataFrom entries; GeneratorStates are keyed by the
// entry's index.
func (r *Reconciler) generators() *genstate.Runner {
	return &genstate.Runner{Generators: r.Generators, Direct: r.Direct, Namespaces: r.Namespaces,
		GracePeriod: r.GeneratorGCGracePeriod, RetryReason: esv1.ReasonSecretSyncedError, Now: r.Now}
}

// owner is es as the owner of GeneratorStates.
func owner(es *esv1.ExternalSecret) genstate.Owner {
	return genstate.Owner{Object: es, Kind: esv1.ExtSecretKind, APIVersion: esv1.SchemeGroupVersion.String()}
}

// commitStates records what this sync's stateful generators created, now that the
// Secret holds their values, and flags the states they replace for garbage collection.
func (r *Reconciler) commitStates(ctx context.Context, s *scope) {
	r.generators().Commit(ctx, owner(s.es), s.states)
	s.states = nil
}

// rollbackStates undoes what this sync's stateful generators created, since their values
// were not written.
func (r *Reconciler) rollbackStates(ctx context.Context, s *scope) {
	r.generators().Rollback(ctx, owner(s.es), s.states)
	s.states = nil
}
