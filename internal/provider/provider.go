package provider

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// ErrNotFound is the error, and the only error, that means "the remote secret does not
// exist". It drives an ExternalSecret's deletionPolicy; providers wrap it with the key.
var ErrNotFound = errors.New("remote secret not found")

// NotFound returns an error that wraps ErrNotFound and names the key (never a value).
func NotFound(key string) error {
	return fmt.Errorf("%w: %q", ErrNotFound, key)
}

// ErrFeatureNotImplemented marks a setting of ESO's API that a provider Ferry implements does
// not act on yet (an AWS service, an auth method). ValidateStore returns it wrapped, naming
// the field; test with errors.Is. It lets preflight tell Ferry's gaps from a user's mistakes.
var ErrFeatureNotImplemented = errors.New("not implemented by Ferry yet")

// FeatureNotImplemented returns an error that wraps ErrFeatureNotImplemented; its message is
// the formatted one alone, which names the field and the way out.
func FeatureNotImplemented(format string, args ...any) error {
	return &featureNotImplemented{msg: fmt.Sprintf(format, args...)}
}

type featureNotImplemented struct{ msg string }

func (e *featureNotImplemented) Error() string        { return e.msg }
func (e *featureNotImplemented) Is(target error) bool { return target == ErrFeatureNotImplemented }

// ErrAdmittedMistake marks a setting that cannot work but that ESO admits (a bare role name
// where AWS needs a role ARN): the webhook admits it with a warning, as no manifest ESO
// accepts may be refused, and the store reports it as InvalidProviderConfig.
var ErrAdmittedMistake = errors.New("admitted, as ESO admits it, but it cannot work")

// AdmittedMistake returns an error that wraps ErrAdmittedMistake; its message is the
// formatted one alone, which names the field and the fix.
func AdmittedMistake(format string, args ...any) error {
	return &admittedMistake{msg: fmt.Sprintf(format, args...)}
}

type admittedMistake struct{ msg string }

func (e *admittedMistake) Error() string        { return e.msg }
func (e *admittedMistake) Is(target error) bool { return target == ErrAdmittedMistake }

// SplitFeatureGaps separates the errors of a (joined) ValidateStore error into what Ferry
// does not implement yet and what is wrong as written.
func SplitFeatureGaps(err error) (gaps, mistakes []error) {
	return Split(err, ErrFeatureNotImplemented)
}

// Split separates the errors of a (joined) error into those of one of classes and the rest.
func Split(err error, classes ...error) (in, out []error) {
	if err == nil {
		return nil, nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok { //nolint:errorlint // walking a join, not testing a class
		for _, e := range joined.Unwrap() {
			i, o := Split(e, classes...)
			in, out = append(in, i...), append(out, o...)
		}
		return in, out
	}
	for _, class := range classes {
		if errors.Is(err, class) {
			return []error{err}, nil
		}
	}
	return nil, []error{err}
}

// Provider builds clients for one kind of backend.
type Provider interface {
	// Name is the provider's key in a store's spec.provider union, e.g. "aws".
	Name() string
	// Capabilities says whether the provider reads, writes or both.
	Capabilities() esv1.SecretStoreCapabilities
	// ValidateStore checks the store's configuration as written, without any call.
	ValidateStore(store esv1.GenericStore) error
	// NewClient builds a client for store, acting for objects in namespace. kube is an
	// uncached client: providers read auth Secrets and request ServiceAccount tokens with it,
	// through the helpers of this package that enforce namespace boundaries.
	NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (Client, error)
}

// Reader reads remote secrets.
type Reader interface {
	// GetSecret returns one value; ref.Property selects a path inside a JSON value.
	GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error)
	// GetSecretMap returns the keys of one JSON object value.
	GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error)
	// GetAllSecrets returns every remote secret that find selects, keyed by name.
	GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error)
}

// Client is a provider client bound to one store (and namespace, for referent auth).
type Client interface {
	Reader
	// Validate checks that the store is usable (reachable, credentials accepted).
	Validate(ctx context.Context) (esv1.ValidationResult, error)
	// Close releases what the client holds.
	Close(ctx context.Context) error
}

// ErrFindNotSupported is returned by providers that cannot list.
var ErrFindNotSupported = errors.New("this provider cannot list secrets: dataFrom.find is not supported")

// Registry maps provider names to implementations.
type Registry struct {
	byName map[string]Provider
}

// NewRegistry returns a registry of the given providers.
func NewRegistry(providers ...Provider) *Registry {
	r := &Registry{byName: make(map[string]Provider, len(providers))}
	for _, p := range providers {
		r.byName[p.Name()] = p
	}
	return r
}

// Names lists the registered providers, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ForStore returns the provider that the store configures. It fails when the store sets no
// provider, more than one, or one that this build does not serve.
func (r *Registry) ForStore(store esv1.GenericStore) (Provider, error) {
	spec := store.GetSpec()
	configured := Configured(spec.Provider)
	switch len(configured) {
	case 0:
		if kept := esv1.ProvidersKeptByConversion(store.GetAnnotations()); len(kept) == 1 {
			// Written at an older version for a provider v1 no longer has: kept, not refused.
			return nil, &NotImplementedError{Provider: kept[0], Served: r.Names()}
		}
		return nil, errors.New("spec.provider: exactly one provider must be set, found none")
	case 1:
	default:
		return nil, fmt.Errorf("spec.provider: exactly one provider must be set, found %s", strings.Join(configured, ", "))
	}
	p, ok := r.byName[configured[0]]
	if !ok {
		return nil, &NotImplementedError{Provider: configured[0], Served: r.Names()}
	}
	return p, nil
}

// NotImplementedError says that a store configures a provider of ESO's API that this Ferry
// build does not implement. Such a store is kept as written and reported, never refused.
type NotImplementedError struct {
	// Provider is the JSON name of the provider block, e.g. "doppler".
	Provider string
	// Served lists the providers this build implements.
	Served []string
}

func (e *NotImplementedError) Error() string {
	return fmt.Sprintf("spec.provider.%s: Ferry does not implement the %s provider yet (it implements %s); the store is kept as written: "+
		"leave it to External Secrets Operator with spec.controller, or use a provider Ferry implements",
		e.Provider, e.Provider, strings.Join(e.Served, ", "))
}

// Configured lists the JSON keys of the provider fields that are set in the union.
func Configured(union *esv1.SecretStoreProvider) []string {
	if union == nil {
		return nil
	}
	var names []string
	v := reflect.ValueOf(union).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}
