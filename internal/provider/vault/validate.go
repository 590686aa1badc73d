package vault

import (
	"errors"
	"fmt"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// ValidateStore checks the store's Vault configuration as written, without any call. Each
// error names the offending field path.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Vault == nil {
		return fmt.Errorf("%s: required", specField)
	}
	v := spec.Provider.Vault
	var errs []error
	errs = append(errs, validateServerAndVersion(v.Server, v.Version, specField)...)
	if v.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, v.CAProvider, specField+".caProvider")...)
	}
	if t := v.ClientTLS; t != nil && (t.CertSecretRef == nil) != (t.KeySecretRef == nil) {
		errs = append(errs, fmt.Errorf("%s.tls: set both certSecretRef and keySecretRef, or neither", specField))
	}
	if t := v.ClientTLS; t != nil {
		if t.CertSecretRef != nil {
			errs = append(errs, provider.ValidateSecretKeyRef(store, t.CertSecretRef, specField+".tls.certSecretRef")...)
		}
		if t.KeySecretRef != nil {
			errs = append(errs, provider.ValidateSecretKeyRef(store, t.KeySecretRef, specField+".tls.keySecretRef")...)
		}
	}
	errs = append(errs, validateAuth(store, v.Auth)...)
	return errors.Join(errs...)
}

// validateServerAndVersion checks a store's server URL and KV version; field is the
// provider block's path.
func validateServerAndVersion(server string, version esv1.VaultKVStoreVersion, field string) []error {
	var errs []error
	if server == "" {
		errs = append(errs, fmt.Errorf("%s.server: required", field))
	} else if !provider.HTTPURL(server) {
		errs = append(errs, fmt.Errorf("%s.server: %q is not an http(s) URL", field, server))
	}
	switch version {
	case "", esv1.VaultKVStoreV1, esv1.VaultKVStoreV2:
	default:
		errs = append(errs, fmt.Errorf("%s.version: %q is not v1 or v2", field, version))
	}
	return errs
}

func validateAuth(store esv1.GenericStore, auth *esv1.VaultAuth) []error {
	if auth == nil {
		// ESO's schema and webhook admit a Vault store without auth (its login then fails).
		return []error{provider.AdmittedMistake("%s: required: set one of tokenSecretRef, appRole, kubernetes, jwt, userPass, ldap or cert", authField)}
	}
	var set []string
	var errs []error
	if auth.TokenSecretRef != nil {
		set = append(set, "tokenSecretRef")
		errs = append(errs, provider.ValidateSecretKeyRef(store, auth.TokenSecretRef, authField+".tokenSecretRef")...)
	}
	if auth.AppRole != nil {
		set = append(set, "appRole")
		errs = append(errs, validateAppRole(store, auth.AppRole, authField+".appRole")...)
	}
	if auth.Kubernetes != nil {
		set = append(set, "kubernetes")
		errs = append(errs, validateKubernetesAuth(store, auth.Kubernetes)...)
	}
	if auth.Jwt != nil {
		set = append(set, "jwt")
		errs = append(errs, validateJWTAuth(store, auth.Jwt)...)
	}
	if u := auth.UserPass; u != nil {
		set = append(set, "userPass")
		errs = append(errs, validatePassword(store, u.Username, &u.SecretRef, authField+".userPass")...)
	}
	if l := auth.Ldap; l != nil {
		set = append(set, "ldap")
		errs = append(errs, validatePassword(store, l.Username, &l.SecretRef, authField+".ldap")...)
	}
	if c := auth.Cert; c != nil {
		set = append(set, "cert")
		errs = append(errs, provider.ValidateSecretKeyRef(store, &c.ClientCert, authField+".cert.clientCert")...)
		errs = append(errs, provider.ValidateSecretKeyRef(store, &c.SecretRef, authField+".cert.secretRef")...)
	}
	if auth.Iam != nil {
		set = append(set, "iam")
		errs = append(errs, provider.FeatureNotImplemented("%s.iam: the AWS IAM auth method is not supported by Ferry yet", authField))
	}
	if auth.GCP != nil {
		set = append(set, "gcp")
		errs = append(errs, provider.FeatureNotImplemented("%s.gcp: the GCP auth method is not supported by Ferry yet", authField))
	}
	switch len(set) {
	case 0:
		// An auth with no method, such as one whose only field was pruned as unknown: ESO
		// admits it too.
		errs = append(errs, provider.AdmittedMistake("%s: set one of tokenSecretRef, appRole, kubernetes, jwt, userPass, ldap or cert", authField))
	case 1:
	default:
		errs = append(errs, fmt.Errorf("%s: %v are mutually exclusive, set one", authField, set))
	}
	return errs
}

func validateAppRole(store esv1.GenericStore, a *esv1.VaultAppRole, field string) []error {
	var errs []error
	switch {
	case a.RoleID == "" && a.RoleRef == nil:
		errs = append(errs, fmt.Errorf("%s: set roleId or roleRef", field))
	case a.RoleID != "" && a.RoleRef != nil:
		errs = append(errs, fmt.Errorf("%s: roleId and roleRef are mutually exclusive, set one", field))
	case a.RoleRef != nil:
		errs = append(errs, provider.ValidateSecretKeyRef(store, a.RoleRef, field+".roleRef")...)
	}
	return append(errs, provider.ValidateSecretKeyRef(store, &a.SecretRef, field+".secretRef")...)
}

// validateKubernetesAuth checks the kubernetes method. serviceAccountRef and secretRef may
// both be set, as ESO admits: the ServiceAccount's token is used and secretRef is not read.
func validateKubernetesAuth(store esv1.GenericStore, k *esv1.VaultKubernetesAuth) []error {
	const field = authField + ".kubernetes"
	var errs []error
	if k.Role == "" {
		errs = append(errs, fmt.Errorf("%s.role: required", field))
	}
	if k.ServiceAccountRef != nil {
		errs = append(errs, provider.ValidateServiceAccountRef(store, k.ServiceAccountRef, field+".serviceAccountRef")...)
	}
	if k.SecretRef != nil {
		errs = append(errs, provider.ValidateSecretKeyRef(store, k.SecretRef, field+".secretRef")...)
	}
	if k.ServiceAccountRef == nil && k.SecretRef == nil && store.GetKind() != esv1.ClusterSecretStoreKind {
		errs = append(errs, fmt.Errorf("%s: set serviceAccountRef or secretRef; only a ClusterSecretStore may log in with Ferry's own ServiceAccount", field))
	}
	return errs
}

func validateJWTAuth(store esv1.GenericStore, j *esv1.VaultJwtAuth) []error {
	const field = authField + ".jwt"
	switch {
	case j.SecretRef == nil && j.KubernetesServiceAccountToken == nil:
		return []error{fmt.Errorf("%s: set secretRef or kubernetesServiceAccountToken", field)}
	case j.SecretRef != nil && j.KubernetesServiceAccountToken != nil:
		return []error{fmt.Errorf("%s: secretRef and kubernetesServiceAccountToken are mutually exclusive, set one", field)}
	case j.SecretRef != nil:
		return provider.ValidateSecretKeyRef(store, j.SecretRef, field+".secretRef")
	}
	sat := j.KubernetesServiceAccountToken
	errs := provider.ValidateServiceAccountRef(store, &sat.ServiceAccountRef, field+".kubernetesServiceAccountToken.serviceAccountRef")
	if sat.ExpirationSeconds != nil && *sat.ExpirationSeconds < 600 {
		errs = append(errs, fmt.Errorf("%s.kubernetesServiceAccountToken.expirationSeconds: must be at least 600 (the TokenRequest API's minimum)", field))
	}
	return errs
}

func validatePassword(store esv1.GenericStore, username string, sel *esv1.SecretKeySelector, field string) []error {
	var errs []error
	if username == "" {
		errs = append(errs, fmt.Errorf("%s.username: required", field))
	}
	return append(errs, provider.ValidateSecretKeyRef(store, sel, field+".secretRef")...)
}
