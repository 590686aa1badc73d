package externalsecret

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/generator"
)

// DefaultGeneratorGCGracePeriod is External Secrets Operator's default
// --generator-gc-grace-period: how long a replaced generated resource stays usable.
const DefaultGeneratorGCGracePeriod = 2 * time.Minute

// pendingState is what a stateful generator created for the dataFrom entry at index.
type pendingState struct {
	index     int
	generated *generator.Generated
}

// OwnerKey is the value of the generators.external-secrets.io/owner-key label of the
// GeneratorStates of one dataFrom entry of an ExternalSecret, as External Secrets
// Operator writes it (kind-name-index, lower case); names too long for a label value keep
// their start and a hash of the whole.
func OwnerKey(esName string, index int) string {
	key := strings.ToLower(fmt.Sprintf("%s-%s-%d", esv1.ExtSecretKind, esName, index))
	if len(key) <= 63 {
		return key
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return fmt.Sprintf("%s-%08x", strings.TrimRight(key[:54], "-."), h.Sum32())
}

// commitStates records what this sync's stateful generators created, now that the
// Secret holds their values, and flags the states they replace for garbage collection.
// A failure is logged, not returned: the Secret is written, and syncing again would
// generate anew.
func (r *Reconciler) commitStates(ctx context.Context, s *scope) {
	for _, p := range s.states {
		created, err := r.recordState(ctx, s.es, p, nil)
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Could not record what a generator created; it will not be cleaned up",
				"dataFrom", p.index)
			continue
		}
		if err := r.flagReplacedStates(ctx, s.es, p.index, created); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Could not flag replaced generator states for cleanup", "dataFrom", p.index)
		}
	}
	s.states = nil
}

// rollbackStates undoes what this sync's stateful generators created, since their values
// were not written; what cannot be undone now is recorded for garbage collection at once.
func (r *Reconciler) rollbackStates(ctx context.Context, s *scope) {
	for _, p := range s.states {
		err := r.Generators.Cleanup(ctx, r.Direct, p.generated.Resource, p.generated.State, s.es.Namespace)
		if err == nil {
			continue
		}
		now := metav1.NewTime(r.now())
		if _, err := r.recordState(ctx, s.es, p, &now); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Could not record what a failed sync's generator created", "dataFrom", p.index)
		}
	}
	s.states = nil
}

// recordState creates the GeneratorState of p, owned by es, with deadline when set, and
// returns its name.
func (r *Reconciler) recordState(ctx context.Context, es *esv1.ExternalSecret, p pendingState, deadline *metav1.Time) (string, error) {
	state := &genv1alpha1.GeneratorState{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "gen-externalsecret-" + es.Name + "-",
			Namespace:    es.Namespace,
			Labels:       map[string]string{genv1alpha1.GeneratorStateLabelOwnerKey: OwnerKey(es.Name, p.index)},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: esv1.SchemeGroupVersion.String(),
				Kind: esv1.ExtSecretKind, Name: es.Name, UID: es.UID}},
		},
		Spec: genv1alpha1.GeneratorStateSpec{
			GarbageCollectionDeadline: deadline,
			Resource:                  &apiextensionsv1.JSON{Raw: p.generated.Resource},
			State:                     &apiextensionsv1.JSON{Raw: p.generated.State},
		},
	}
	if err := r.Direct.Create(ctx, state); err != nil {
		return "", fmt.Errorf("creating a GeneratorState: %w", err)
	}
	return state.Name, nil
}

// flagReplacedStates sets the garbage-collection deadline of every state of the entry
// but latest, the one just recorded, that has none.
func (r *Reconciler) flagReplacedStates(ctx context.Context, es *esv1.ExternalSecret, index int, latest string) error {
	var list genv1alpha1.GeneratorStateList
	if err := r.Direct.List(ctx, &list, client.InNamespace(es.Namespace),
		client.MatchingLabels{genv1alpha1.GeneratorStateLabelOwnerKey: OwnerKey(es.Name, index)}); err != nil {
		return fmt.Errorf("listing GeneratorStates: %w", err)
	}
	grace := r.GeneratorGCGracePeriod
	if grace <= 0 {
		grace = DefaultGeneratorGCGracePeriod
	}
	deadline := metav1.NewTime(r.now().Add(grace))
	for i := range list.Items {
		gs := &list.Items[i]
		if gs.Name == latest || gs.Spec.GarbageCollectionDeadline != nil {
			continue
		}
		patch := client.MergeFrom(gs.DeepCopy())
		gs.Spec.GarbageCollectionDeadline = &deadline
		if err := r.Direct.Patch(ctx, gs, patch); err != nil {
			return fmt.Errorf("flagging GeneratorState %s: %w", gs.Name, err)
		}
	}
	return nil
}
