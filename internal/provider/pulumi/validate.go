package pulumi

import (
	"errors"
	"fmt"
	"net/url"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.pulumi"

// ValidateStore checks the store as written, without any call; errors name the field.
// What ESO refuses (no organization, project or environment; no or several auth methods;
// a token ref without name or key; an OIDC login without organization or ServiceAccount,
// or without the ServiceAccount's namespace in a ClusterSecretStore) is refused.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Pulumi == nil {
		return errors.New(field + ": required")
	}
	p := spec.Provider.Pulumi
	var errs []error
	for _, f := range []struct{ name, value string }{{"organization", p.Organization}, {"project", p.Project}, {"environment", p.Environment}} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("%s.%s: required", field, f.name))
		}
	}
	if p.APIURL != "" {
		if u, err := url.Parse(p.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, provider.AdmittedMistake("%s.apiUrl: %q is not an http(s) URL such as %s", field, p.APIURL, DefaultAPIURL))
		}
	}
	ref, refField, err := tokenRef(p)
	switch {
	case err != nil:
		errs = append(errs, err)
	case ref != nil:
		if ref.SecretRef == nil {
			errs = append(errs, errors.New(refField+".secretRef: required"))
		} else {
			errs = append(errs, provider.ValidateSecretKeyRef(store, ref.SecretRef, refField+".secretRef")...)
		}
	default:
		errs = append(errs, validateOIDC(store, p.Auth.OIDCConfig)...)
	}
	return errors.Join(errs...)
}

// tokenRef returns the access token's reference and its field: auth.accessToken or the
// older accessToken. It returns nil without error for OIDC, and an error unless exactly
// one method is set.
func tokenRef(p *esv1.PulumiProvider) (*esv1.SecretKeySource, string, error) {
	var methods []string
	if p.AccessToken != nil {
		methods = append(methods, "accessToken")
	}
	if p.Auth != nil && p.Auth.AccessToken != nil {
		methods = append(methods, "auth.accessToken")
	}
	if p.Auth != nil && p.Auth.OIDCConfig != nil {
		methods = append(methods, "auth.oidcConfig")
	}
	switch {
	case len(methods) == 0:
		return nil, "", errors.New(field + ": set auth.accessToken (or the older accessToken, or auth.oidcConfig)")
	case len(methods) > 1:
		return nil, "", fmt.Errorf("%s: set one of %v, not several", field, methods)
	case methods[0] == "accessToken":
		return p.AccessToken, field + ".accessToken", nil
	case methods[0] == "auth.accessToken":
		return p.Auth.AccessToken, field + ".auth.accessToken", nil
	}
	return nil, "", nil
}

func validateOIDC(store esv1.GenericStore, oidc *esv1.PulumiOIDCConfig) []error {
	f := field + ".auth.oidcConfig"
	var errs []error
	if oidc.Organization == "" {
		errs = append(errs, errors.New(f+".organization: required: the Pulumi organization whose token is requested"))
	}
	if store.GetKind() == esv1.ClusterSecretStoreKind && (oidc.ServiceAccountRef.Namespace == nil || *oidc.ServiceAccountRef.Namespace == "") {
		errs = append(errs, errors.New(f+".serviceAccountRef.namespace: required in a ClusterSecretStore"))
	}
	if oidc.ExpirationSeconds != 0 && oidc.ExpirationSeconds < 600 {
		errs = append(errs, fmt.Errorf("%s.expirationSeconds: %d is less than 600", f, oidc.ExpirationSeconds))
	}
	return append(errs, provider.ValidateServiceAccountRef(store, &oidc.ServiceAccountRef, f+".serviceAccountRef")...)
}
