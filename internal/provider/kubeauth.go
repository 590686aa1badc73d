package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/redact"
)

// ErrNeedsNamespace means a ClusterSecretStore's auth reference has no namespace and the
// store is used outside any namespace (when validating it): the reference follows the
// namespace of each ExternalSecret ("referent auth"), so it can only be checked per use.
var ErrNeedsNamespace = errors.New("the reference has no namespace; it follows the namespace of each ExternalSecret that uses the store")

// Referent is the object on whose behalf a reference to a Secret or ServiceAccount is read:
// a SecretStore or ClusterSecretStore (every esv1.GenericStore is one), or a generator in
// use (GeneratorUse). Its kind decides which namespaces the reference may point into.
type Referent interface {
	GetKind() string
	GetNamespace() string
	GetName() string
}

// GeneratorUse is the Referent of a generator used by an object in Namespace. Its references
// are read in that namespace only, also for a cluster-scoped generator, so that a generator
// cannot carry one namespace's credentials into another.
type GeneratorUse struct {
	Kind      string
	Namespace string
}

// GetKind returns the generator's kind.
func (g GeneratorUse) GetKind() string { return g.Kind }

// GetNamespace returns the namespace of the object that uses the generator.
func (g GeneratorUse) GetNamespace() string { return g.Namespace }

// GetName returns the kind in lower case: sessions a generator opens are named after what
// it is (AWS role sessions read ferry@<namespace>.<kind>), not after one generator object.
func (g GeneratorUse) GetName() string { return strings.ToLower(g.Kind) }

// RefNamespace decides which namespace an auth reference of owner points into, for owner
// used on behalf of objects in namespace. A namespaced SecretStore may only point into its
// own namespace, and a generator only into its user's; a ClusterSecretStore uses the ref's
// namespace, or namespace when the ref has none. field names the reference in errors.
func RefNamespace(owner Referent, refNamespace *string, namespace, field string) (string, error) {
	if owner.GetKind() == esv1.ClusterSecretStoreKind {
		if refNamespace != nil && *refNamespace != "" {
			return *refNamespace, nil
		}
		if namespace == "" {
			return "", fmt.Errorf("%s.namespace: %w", field, ErrNeedsNamespace)
		}
		return namespace, nil
	}
	if err := ValidateRefNamespace(owner, refNamespace, field); err != nil {
		return "", err
	}
	return owner.GetNamespace(), nil
}

// SecretKeyValue reads one key of a Secret named by sel, under the namespace rules of
// RefNamespace. Errors name the Secret and key, never the value.
func SecretKeyValue(ctx context.Context, kube client.Reader, owner Referent, namespace string,
	sel esv1.SecretKeySelector, field string) ([]byte, error) {
	value, err := SecretKeySetting(ctx, kube, owner, namespace, sel, field)
	if err != nil {
		return nil, err
	}
	redact.RememberCredential(value)
	return value, nil
}

// SecretKeySetting is SecretKeyValue for a key that holds a setting, not a credential (a
// method's name, such as Akeyless's access type "api_key"): its value is not remembered for
// redaction, which would blank that word in every message of the process.
func SecretKeySetting(ctx context.Context, kube client.Reader, owner Referent, namespace string,
	sel esv1.SecretKeySelector, field string) ([]byte, error) {
	if sel.Name == "" || sel.Key == "" {
		return nil, fmt.Errorf("%s: name and key are required", field)
	}
	ns, err := RefNamespace(owner, sel.Namespace, namespace, field)
	if err != nil {
		return nil, err
	}
	var secret corev1.Secret
	if err := kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: sel.Name}, &secret); err != nil {
		return nil, fmt.Errorf("%s: reading Secret %s/%s: %w", field, ns, sel.Name, err)
	}
	value, ok := secret.Data[sel.Key]
	if !ok {
		return nil, fmt.Errorf("%s: Secret %s/%s has no key %q", field, ns, sel.Name, sel.Key)
	}
	return value, nil
}

// ServiceAccount reads the ServiceAccount named by sel, under the namespace rules of
// RefNamespace.
func ServiceAccount(ctx context.Context, kube client.Reader, owner Referent, namespace string,
	sel esv1.ServiceAccountSelector, field string) (*corev1.ServiceAccount, error) {
	ns, err := RefNamespace(owner, sel.Namespace, namespace, field)
	if err != nil {
		return nil, err
	}
	var sa corev1.ServiceAccount
	if err := kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: sel.Name}, &sa); err != nil {
		return nil, fmt.Errorf("%s: reading ServiceAccount %s/%s: %w", field, ns, sel.Name, err)
	}
	return &sa, nil
}

// ServiceAccountToken requests a token for sa with the given audiences and lifetime
// through the TokenRequest API.
func ServiceAccountToken(ctx context.Context, kube client.Client, sa *corev1.ServiceAccount,
	audiences []string, expirationSeconds int64) (string, metav1.Time, error) {
	req := &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{Audiences: audiences, ExpirationSeconds: &expirationSeconds},
	}
	if err := kube.SubResource("token").Create(ctx, sa, req); err != nil {
		return "", metav1.Time{}, fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", sa.Namespace, sa.Name, err)
	}
	redact.RememberCredentialString(req.Status.Token)
	return req.Status.Token, req.Status.ExpirationTimestamp, nil
}

// StoreAudience is the audience that binds a ServiceAccount token to one store, as ESO's
// OIDC logins add it, so a token issued for one store cannot be replayed through another's
// identity.
func StoreAudience(store esv1.GenericStore) string {
	if store.GetKind() == esv1.ClusterSecretStoreKind {
		return "clusterSecretStore:" + store.GetName()
	}
	return "secretStore:" + store.GetNamespace() + ":" + store.GetName()
}
