package genstate

import (
	"context"
	"errors"
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
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/generator"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/storeref"
)

// DefaultGracePeriod is External Secrets Operator's default --generator-gc-grace-period:
// how long a replaced generated resource stays usable.
const DefaultGracePeriod = 2 * time.Minute

// Runner runs generators for one controller and records what stateful ones created.
type Runner struct {
	// Generators is the registry; nil serves no generator.
	Generators *generator.Registry
	// Direct is an uncached client: generators and the credentials they name are read
	// with it, and GeneratorStates are written with it.
	Direct client.Client
	// Namespaces is set when Ferry serves only those namespaces: ClusterGenerators are
	// then not read.
	Namespaces []string
	// GracePeriod is how long what a stateful generator created outlives its replacement;
	// 0 means DefaultGracePeriod.
	GracePeriod time.Duration
	// RetryReason is the condition reason of a generation that failed in a way worth
	// retrying (a generator not created yet, a service that failed).
	RetryReason string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Owner is the object whose values a generator produced; its GeneratorStates are owned by
// it and labelled with OwnerKey(Kind, name, key).
type Owner struct {
	Object     client.Object
	Kind       string
	APIVersion string
}

// Pending is what one stateful generation created, under its owner's key (an
// ExternalSecret's dataFrom index), until it is committed or rolled back.
type Pending struct {
	Key       string
	Generated *generator.Generated
}

// Generate runs the generator ref names, for an object of namespace, and returns what it
// produced. field names the generatorRef in messages. Failures carry a condition reason:
// InvalidSpec, ProviderNotImplemented and NotSupported wait for the user; anything else is
// transient, with RetryReason.
func (r *Runner) Generate(ctx context.Context, ref esv1.GeneratorRef, namespace, field string) (*generator.Generated, error) {
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
		return nil, failure.Transient(r.RetryReason, fmt.Errorf("%s: %w", field, redact.Foreign(err)))
	}
	ctrl.LoggerFrom(ctx).V(1).Info("Generated values", "generatorKind", ref.Kind, "generator", ref.Name, "keys", len(generated.Values))
	return generated, nil
}

// OwnerKey is the value of the generators.external-secrets.io/owner-key label of the
// GeneratorStates of one generator use of an object (kind-name-key, lower case); names
// too long for a label value keep their start and a hash of the whole.
func OwnerKey(kind, name, key string) string {
	full := strings.ToLower(fmt.Sprintf("%s-%s-%s", kind, name, key))
	if len(full) <= 63 {
		return full
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(full))
	return fmt.Sprintf("%s-%08x", strings.TrimRight(full[:54], "-._"), h.Sum32())
}

// Commit records what the stateful generations created, now that their values are in
// place, and flags the states they replace for collection. A failure is logged, not
// returned: the values are in place, and failing the sync would generate anew.
func (r *Runner) Commit(ctx context.Context, owner Owner, pending []Pending) {
	for _, p := range pending {
		created, err := r.record(ctx, owner, p, nil)
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Could not record what a generator created; it will not be cleaned up", "stateKey", p.Key)
			continue
		}
		if err := r.Retire(ctx, r.Direct, owner, p.Key, created); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Could not flag replaced generator states for cleanup", "stateKey", p.Key)
		}
	}
}

// Rollback undoes what the stateful generations created, since their values were not put
// in place; what cannot be undone now is recorded for collection at once.
func (r *Runner) Rollback(ctx context.Context, owner Owner, pending []Pending) {
	for _, p := range pending {
		err := r.Generators.Cleanup(ctx, r.Direct, p.Generated.Resource, p.Generated.State, owner.Object.GetNamespace())
		if err == nil {
			continue
		}
		now := metav1.NewTime(r.now())
		if _, err := r.record(ctx, owner, p, &now); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Could not record what a failed sync's generator created", "stateKey", p.Key)
		}
	}
}

// record creates the GeneratorState of p, owned by owner, with deadline when set, and
// returns its name.
func (r *Runner) record(ctx context.Context, owner Owner, p Pending, deadline *metav1.Time) (string, error) {
	obj := owner.Object
	state := &genv1alpha1.GeneratorState{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: "gen-" + strings.ToLower(owner.Kind) + "-" + obj.GetName() + "-",
			Namespace:    obj.GetNamespace(),
			Labels:       map[string]string{genv1alpha1.GeneratorStateLabelOwnerKey: OwnerKey(owner.Kind, obj.GetName(), p.Key)},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: owner.APIVersion,
				Kind: owner.Kind, Name: obj.GetName(), UID: obj.GetUID()}},
		},
		Spec: genv1alpha1.GeneratorStateSpec{
			GarbageCollectionDeadline: deadline,
			Resource:                  &apiextensionsv1.JSON{Raw: p.Generated.Resource},
			State:                     &apiextensionsv1.JSON{Raw: p.Generated.State},
		},
	}
	if err := r.Direct.Create(ctx, state); err != nil {
		return "", fmt.Errorf("creating a GeneratorState: %w", err)
	}
	return state.Name, nil
}

// Retire sets the collection deadline (now and the grace period) of every state of
// owner's key but keep that has none, listing them through reader: Direct after a new
// value, or a cached client when the owner merely stopped using a generator.
func (r *Runner) Retire(ctx context.Context, reader client.Reader, owner Owner, key, keep string) error {
	var list genv1alpha1.GeneratorStateList
	if err := reader.List(ctx, &list, client.InNamespace(owner.Object.GetNamespace()),
		client.MatchingLabels{genv1alpha1.GeneratorStateLabelOwnerKey: OwnerKey(owner.Kind, owner.Object.GetName(), key)}); err != nil {
		return fmt.Errorf("listing GeneratorStates: %w", err)
	}
	grace := r.GracePeriod
	if grace <= 0 {
		grace = DefaultGracePeriod
	}
	deadline := metav1.NewTime(r.now().Add(grace))
	for i := range list.Items {
		gs := &list.Items[i]
		if gs.Name == keep || gs.Spec.GarbageCollectionDeadline != nil {
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

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
