package generator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/validation"
)

// Generator produces fresh values from the spec of one generator kind.
type Generator interface {
	// Kind is the kind this generator serves, as generatorRef.kind spells it.
	Kind() string
	// Generate returns new values from spec, whose field of this kind is set. kube is an
	// uncached client for the Secrets and ServiceAccounts the spec's auth names, read in
	// namespace, the ExternalSecret's.
	Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error)
}

// Classes of errors that no retry fixes; test them with errors.Is. Each is also a
// reconcile.TerminalError, so a caller that hands it to controller-runtime gets no retry.
var (
	// ErrInvalidSpec: the generator's spec (or the generatorRef) is wrong as written.
	ErrInvalidSpec = errors.New("invalid generator spec")
	// ErrNotServed: this build of Ferry does not act on an option of a kind it generates.
	ErrNotServed = errors.New("generator option not served")
	// ErrNotImplemented: the kind is part of the API Ferry serves (its objects are kept as
	// written), but Ferry does not generate its values.
	ErrNotImplemented = errors.New("generator kind not implemented")
)

// classified is an error of one of the classes above; its message is err's alone.
type classified struct {
	class error
	err   error
}

func (c *classified) Error() string        { return c.err.Error() }
func (c *classified) Is(target error) bool { return target == c.class }

// Unwrap exposes err and marks it terminal without putting "terminal error" in the message.
func (c *classified) Unwrap() []error { return []error{c.err, reconcile.TerminalError(c.err)} }

func invalid(err error) error { return &classified{class: ErrInvalidSpec, err: err} }

func notServed(format string, args ...any) error {
	return &classified{class: ErrNotServed, err: fmt.Errorf(format, args...)}
}

func notImplemented(format string, args ...any) error {
	return &classified{class: ErrNotImplemented, err: fmt.Errorf(format, args...)}
}

// Registry maps generator kinds to implementations. Build it in main with NewRegistry.
type Registry struct {
	byKind map[string]Generator
}

// NewRegistry returns a registry of the given generators.
func NewRegistry(generators ...Generator) *Registry {
	r := &Registry{byKind: make(map[string]Generator, len(generators))}
	for _, g := range generators {
		r.byKind[g.Kind()] = g
	}
	return r
}

// Kinds lists the served kinds, sorted.
func (r *Registry) Kinds() []string {
	kinds := make([]string, 0, len(r.byKind))
	for k := range r.byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// Generate reads the generator that ref names (a ClusterGenerator, or a generator in
// namespace) through reader, checks its spec and returns new values. A generator that
// does not exist yet is an ordinary error, worth retrying; ErrInvalidSpec, ErrNotServed and
// ErrNotImplemented are not. A kind without an implementation is reported before its
// object is read: Ferry keeps such objects but never reads them.
func (r *Registry) Generate(ctx context.Context, reader client.Reader, kube client.Client, ref esv1.GeneratorRef,
	namespace string) (map[string][]byte, error) {
	generated, err := r.GenerateState(ctx, reader, kube, ref, namespace)
	if err != nil {
		return nil, err
	}
	return generated.Values, nil
}

// resolve reads the generator ref names and checks its spec; it returns the
// implementation of the kind that generates.
func (r *Registry) resolve(ctx context.Context, reader client.Reader, ref esv1.GeneratorRef, namespace string) (Generator, *Resolved, error) {
	if _, ok := r.byKind[ref.Kind]; !ok && ref.Kind != genv1alpha1.ClusterGeneratorKind {
		return nil, nil, r.notImplemented(ref.Kind)
	}
	resolved, err := Resolve(ctx, reader, ref, namespace)
	if err != nil {
		return nil, nil, err
	}
	g, ok := r.byKind[resolved.Kind]
	if !ok {
		return nil, nil, fmt.Errorf("%s %q: %w", ref.Kind, ref.Name, r.notImplemented(resolved.Kind))
	}
	if err := resolved.validate(); err != nil {
		return nil, nil, invalid(fmt.Errorf("%s %q: %w", ref.Kind, ref.Name, err))
	}
	return g, resolved, nil
}

// notImplemented says that kind is served but not generated, and which kinds are.
func (r *Registry) notImplemented(kind string) error {
	return notImplemented("%s generators are not implemented by this version of Ferry: they are kept as written "+
		"but generate no values (implemented: %s)", kind, strings.Join(r.Kinds(), ", "))
}

// Resolved is a generator read from the API.
type Resolved struct {
	// Kind is the kind that generates: ref.kind, or a ClusterGenerator's spec.kind.
	Kind string
	// Spec holds the spec of Kind, so namespaced generators and ClusterGenerators run alike.
	Spec *genv1alpha1.GeneratorSpec
	// cluster is the ClusterGenerator's spec, when the generator is one.
	cluster *genv1alpha1.ClusterGeneratorSpec
}

// validate checks the spec as written.
func (r *Resolved) validate() error {
	if r.cluster != nil {
		return validation.ClusterGenerator(r.cluster)
	}
	return validationOf(r.Kind, r.Spec)
}

// validationOf checks the spec of a namespaced generator of kind as written.
func validationOf(kind string, spec *genv1alpha1.GeneratorSpec) error {
	return validation.Generator(kind, spec, "spec")
}

// Resolve reads the generator that ref names: a ClusterGenerator, or a generator in
// namespace.
func Resolve(ctx context.Context, reader client.Reader, ref esv1.GeneratorRef, namespace string) (*Resolved, error) {
	if ref.APIVersion != "" && ref.APIVersion != genv1alpha1.SchemeGroupVersion.String() {
		return nil, invalid(fmt.Errorf("generatorRef.apiVersion: %q is not served; use %s",
			ref.APIVersion, genv1alpha1.SchemeGroupVersion))
	}
	if ref.Kind == genv1alpha1.ClusterGeneratorKind {
		g := &genv1alpha1.ClusterGenerator{}
		if err := get(ctx, reader, client.ObjectKey{Name: ref.Name}, g, ref.Kind, ""); err != nil {
			return nil, err
		}
		return &Resolved{Kind: g.Spec.Kind, Spec: &g.Spec.Generator, cluster: &g.Spec}, nil
	}
	obj, spec := emptyGenerator(ref.Kind)
	if obj == nil {
		return nil, notImplemented("%s generators are not implemented by this version of Ferry", ref.Kind)
	}
	key := client.ObjectKey{Namespace: namespace, Name: ref.Name}
	if err := get(ctx, reader, key, obj, ref.Kind, namespace); err != nil {
		return nil, err
	}
	return &Resolved{Kind: ref.Kind, Spec: spec}, nil
}

func get(ctx context.Context, reader client.Reader, key client.ObjectKey, obj client.Object, kind, namespace string) error {
	err := reader.Get(ctx, key, obj)
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err) && namespace != "":
		return fmt.Errorf("%s %q not found in namespace %s", kind, key.Name, namespace)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%s %q not found", kind, key.Name)
	default:
		return fmt.Errorf("reading %s %q: %w", kind, key.Name, err)
	}
}

// emptyGenerator returns an empty object of a namespaced generator kind, and a union whose
// field of that kind points at the object's spec; nil for a kind that is not one.
func emptyGenerator(kind string) (client.Object, *genv1alpha1.GeneratorSpec) {
	spec := &genv1alpha1.GeneratorSpec{}
	switch kind {
	case genv1alpha1.PasswordKind:
		g := &genv1alpha1.Password{}
		spec.PasswordSpec = &g.Spec
		return g, spec
	case genv1alpha1.UUIDKind:
		g := &genv1alpha1.UUID{}
		spec.UUIDSpec = &g.Spec
		return g, spec
	case genv1alpha1.FakeKind:
		g := &genv1alpha1.Fake{}
		spec.FakeSpec = &g.Spec
		return g, spec
	case genv1alpha1.ECRAuthorizationTokenKind:
		g := &genv1alpha1.ECRAuthorizationToken{}
		spec.ECRAuthorizationTokenSpec = &g.Spec
		return g, spec
	case genv1alpha1.STSSessionTokenKind:
		g := &genv1alpha1.STSSessionToken{}
		spec.STSSessionTokenSpec = &g.Spec
		return g, spec
	case genv1alpha1.VaultDynamicSecretKind:
		g := &genv1alpha1.VaultDynamicSecret{}
		spec.VaultDynamicSecretSpec = &g.Spec
		return g, spec
	}
	return emptyTokenGenerator(kind)
}

// emptyTokenGenerator is emptyGenerator for the kinds that obtain tokens or keys.
func emptyTokenGenerator(kind string) (client.Object, *genv1alpha1.GeneratorSpec) {
	spec := &genv1alpha1.GeneratorSpec{}
	switch kind {
	case genv1alpha1.SSHKeyKind:
		g := &genv1alpha1.SSHKey{}
		spec.SSHKeySpec = &g.Spec
		return g, spec
	case genv1alpha1.MFAKind:
		g := &genv1alpha1.MFA{}
		spec.MFASpec = &g.Spec
		return g, spec
	case genv1alpha1.WebhookKind:
		g := &genv1alpha1.Webhook{}
		spec.WebhookSpec = &g.Spec
		return g, spec
	case genv1alpha1.GithubAccessTokenKind:
		g := &genv1alpha1.GithubAccessToken{}
		spec.GithubAccessTokenSpec = &g.Spec
		return g, spec
	case genv1alpha1.GitlabDeployTokenKind:
		g := &genv1alpha1.GitlabDeployToken{}
		spec.GitlabDeployTokenSpec = &g.Spec
		return g, spec
	case genv1alpha1.QuayAccessTokenKind:
		g := &genv1alpha1.QuayAccessToken{}
		spec.QuayAccessTokenSpec = &g.Spec
		return g, spec
	case genv1alpha1.GrafanaKind:
		g := &genv1alpha1.Grafana{}
		spec.GrafanaSpec = &g.Spec
		return g, spec
	case genv1alpha1.CloudsmithAccessTokenKind:
		g := &genv1alpha1.CloudsmithAccessToken{}
		spec.CloudsmithAccessTokenSpec = &g.Spec
		return g, spec
	case genv1alpha1.ACRAccessTokenKind:
		g := &genv1alpha1.ACRAccessToken{}
		spec.ACRAccessTokenSpec = &g.Spec
		return g, spec
	case genv1alpha1.GCRAccessTokenKind:
		g := &genv1alpha1.GCRAccessToken{}
		spec.GCRAccessTokenSpec = &g.Spec
		return g, spec
	case genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind:
		g := &genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecret{}
		spec.BeyondtrustWorkloadCredentialsDynamicSecretSpec = &g.Spec
		return g, spec
	}
	return nil, nil
}
