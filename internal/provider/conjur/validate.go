package conjur

import (
	"errors"
	"fmt"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// ValidateStore checks the store's Conjur configuration as written, without any call.
// Each error names the offending field path.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Conjur == nil {
		return fmt.Errorf("%s: required", specField)
	}
	c := spec.Provider.Conjur
	var errs []error
	if c.URL == "" {
		errs = append(errs, fmt.Errorf("%s.url: required", specField))
	} else if !provider.HTTPURL(c.URL) {
		errs = append(errs, fmt.Errorf("%s.url: %q is not an http(s) URL", specField, c.URL))
	}
	if c.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, c.CAProvider, specField+".caProvider")...)
	}
	errs = append(errs, validateAuth(store, c.Auth)...)
	return errors.Join(errs...)
}

func validateAuth(store esv1.GenericStore, auth esv1.ConjurAuth) []error {
	var set int
	var errs []error
	account := func(field, account string) {
		if account == "" {
			errs = append(errs, fmt.Errorf("%s.account: required", field))
		}
	}
	if a := auth.APIKey; a != nil {
		const field = authField + ".apikey"
		set++
		account(field, a.Account)
		errs = append(errs, provider.ValidateSecretKeyRef(store, &a.UserRef, field+".userRef")...)
		errs = append(errs, provider.ValidateSecretKeyRef(store, &a.APIKeyRef, field+".apiKeyRef")...)
	}
	if j := auth.JWT; j != nil {
		const field = authField + ".jwt"
		set++
		account(field, j.Account)
		if j.ServiceID == "" {
			errs = append(errs, fmt.Errorf("%s.serviceID: required", field))
		}
		errs = append(errs, validateJWTSource(store, j)...)
	}
	if c := auth.Cert; c != nil {
		const field = authField + ".cert"
		set++
		account(field, c.Account)
		if c.ServiceID == "" {
			errs = append(errs, fmt.Errorf("%s.serviceID: required", field))
		}
		errs = append(errs, provider.ValidateSecretKeyRef(store, &c.ClientCertRef, field+".clientCertRef")...)
		errs = append(errs, provider.ValidateSecretKeyRef(store, &c.ClientKeyRef, field+".clientKeyRef")...)
	}
	if set != 1 {
		errs = append(errs, fmt.Errorf("%s: set exactly one of apikey, jwt or cert", authField))
	}
	return errs
}

func validateJWTSource(store esv1.GenericStore, j *esv1.ConjurJWT) []error {
	const field = authField + ".jwt"
	switch {
	case j.ServiceAccountRef != nil && j.SecretRef != nil:
		return []error{fmt.Errorf("%s: serviceAccountRef and secretRef are mutually exclusive, set one", field)}
	case j.ServiceAccountRef != nil:
		return provider.ValidateServiceAccountRef(store, j.ServiceAccountRef, field+".serviceAccountRef")
	case j.SecretRef != nil:
		var errs []error
		if j.SecretRef.Name == "" {
			errs = append(errs, fmt.Errorf("%s.secretRef.name: required", field))
		}
		if err := provider.ValidateRefNamespace(store, j.SecretRef.Namespace, field+".secretRef"); err != nil {
			errs = append(errs, err)
		}
		return errs
	default:
		return []error{fmt.Errorf("%s: set serviceAccountRef or secretRef", field)}
	}
}

var _ provider.NamespaceIndependent = (*Provider)(nil)

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: every Secret, ServiceAccount and ConfigMap it reads names its namespace.
// Then one client, and one access token, serves every ExternalSecret of a
// ClusterSecretStore.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.Conjur
	if spec == nil || (spec.CAProvider != nil && !named(spec.CAProvider.Namespace)) {
		return false
	}
	switch a := spec.Auth; {
	case a.APIKey != nil:
		return named(a.APIKey.UserRef.Namespace) && named(a.APIKey.APIKeyRef.Namespace)
	case a.JWT != nil && a.JWT.ServiceAccountRef != nil:
		return named(a.JWT.ServiceAccountRef.Namespace)
	case a.JWT != nil && a.JWT.SecretRef != nil:
		return named(a.JWT.SecretRef.Namespace)
	case a.Cert != nil:
		return named(a.Cert.ClientCertRef.Namespace) && named(a.Cert.ClientKeyRef.Namespace)
	}
	return false
}

func named(ns *string) bool { return ns != nil && *ns != "" }
