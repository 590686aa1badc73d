package provider

import (
	"fmt"
	"net/url"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// ValidateSecretKeyRef checks that a Secret key reference names a Secret and a key, and that
// a namespaced SecretStore (or a generator) does not point into another namespace. field
// names sel.
func ValidateSecretKeyRef(store Referent, sel *esv1.SecretKeySelector, field string) []error {
	var errs []error
	if sel.Name == "" {
		errs = append(errs, fmt.Errorf("%s.name: required", field))
	}
	if sel.Key == "" {
		errs = append(errs, fmt.Errorf("%s.key: required", field))
	}
	if err := ValidateRefNamespace(store, sel.Namespace, field); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// ValidateServiceAccountRef checks a ServiceAccount reference like ValidateSecretKeyRef.
func ValidateServiceAccountRef(store Referent, sel *esv1.ServiceAccountSelector, field string) []error {
	var errs []error
	if sel.Name == "" {
		errs = append(errs, fmt.Errorf("%s.name: required", field))
	}
	if err := ValidateRefNamespace(store, sel.Namespace, field); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// ValidateCAProvider checks a CAProvider like ValidateSecretKeyRef.
func ValidateCAProvider(store Referent, ca *esv1.CAProvider, field string) []error {
	var errs []error
	if ca.Type != esv1.CAProviderTypeSecret && ca.Type != esv1.CAProviderTypeConfigMap {
		errs = append(errs, fmt.Errorf("%s.type: must be Secret or ConfigMap", field))
	}
	if ca.Name == "" {
		errs = append(errs, fmt.Errorf("%s.name: required", field))
	}
	if ca.Key == "" {
		errs = append(errs, fmt.Errorf("%s.key: required", field))
	}
	if err := ValidateRefNamespace(store, ca.Namespace, field); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// ValidateRefNamespace rejects a namespaced SecretStore, or a generator, that points into
// another namespace, without any call; RefNamespace enforces the same rule again when the
// ref is read.
func ValidateRefNamespace(owner Referent, ns *string, field string) error {
	if owner.GetKind() == esv1.ClusterSecretStoreKind || ns == nil || *ns == owner.GetNamespace() {
		return nil
	}
	if _, ok := owner.(GeneratorUse); ok {
		if *ns == "" {
			return nil
		}
		return fmt.Errorf("%s.namespace: a generator reads only in the namespace of the object that uses it (%s), not in %s",
			field, owner.GetNamespace(), *ns)
	}
	return fmt.Errorf("%s.namespace: a SecretStore may only reference its own namespace %q, not %q",
		field, owner.GetNamespace(), *ns)
}

// HTTPURL says whether s is an absolute http or https URL with a host, as a store's server
// address must be.
func HTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
