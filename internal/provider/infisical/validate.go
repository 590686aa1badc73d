package infisical

import (
	"errors"
	"fmt"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.infisical"

// ValidateStore checks the store as written, without any call; errors name the field.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Infisical == nil {
		return errors.New(field + ": required")
	}
	inf := spec.Provider.Infisical
	var errs []error
	if inf.SecretsScope.ProjectSlug == "" {
		errs = append(errs, errors.New(field+".secretsScope.projectSlug: required"))
	}
	if inf.SecretsScope.EnvironmentSlug == "" {
		errs = append(errs, errors.New(field+".secretsScope.environmentSlug: required"))
	}
	if inf.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, inf.CAProvider, field+".caProvider")...)
	}
	refs, set := authRefs(inf.Auth)
	switch {
	case len(set) == 0:
		errs = append(errs, errors.New(field+".auth: set one auth method"))
	case len(set) > 1:
		errs = append(errs, fmt.Errorf("%s.auth: set one auth method, found %v", field, set))
	}
	for name, sel := range refs {
		errs = append(errs, provider.ValidateSecretKeyRef(store, sel, field+".auth."+name)...)
	}
	for _, name := range set {
		switch name {
		case "awsAuthCredentials", "azureAuthCredentials", "gcpIamAuthCredentials", "gcpIdTokenAuthCredentials", "ociAuthCredentials":
			errs = append(errs, provider.FeatureNotImplemented("%s.auth.%s: Ferry does not implement this Infisical login yet; "+
				"use universalAuthCredentials, kubernetesAuthCredentials, jwtAuthCredentials, ldapAuthCredentials or tokenAuthCredentials", field, name))
		}
	}
	return errors.Join(errs...)
}

// authRefs lists the Secret references of every auth method set, by field path, and the
// names of the methods set.
func authRefs(a esv1.InfisicalAuth) (map[string]*esv1.SecretKeySelector, []string) {
	refs := map[string]*esv1.SecretKeySelector{}
	var set []string
	add := func(method string, on bool, fields map[string]*esv1.SecretKeySelector) {
		if !on {
			return
		}
		set = append(set, method)
		for k, v := range fields {
			if v != nil {
				refs[method+"."+k] = v
			}
		}
	}
	if u := a.UniversalAuthCredentials; u != nil {
		add("universalAuthCredentials", true, map[string]*esv1.SecretKeySelector{"clientId": &u.ClientID, "clientSecret": &u.ClientSecret})
	}
	if t := a.TokenAuthCredentials; t != nil {
		add("tokenAuthCredentials", true, map[string]*esv1.SecretKeySelector{"accessToken": &t.AccessToken})
	}
	if j := a.JWTAuthCredentials; j != nil {
		add("jwtAuthCredentials", true, map[string]*esv1.SecretKeySelector{"identityId": &j.IdentityID, "jwt": &j.JWT})
	}
	if l := a.LDAPAuthCredentials; l != nil {
		add("ldapAuthCredentials", true, map[string]*esv1.SecretKeySelector{"identityId": &l.IdentityID,
			"ldapUsername": &l.LDAPUsername, "ldapPassword": &l.LDAPPassword})
	}
	if k := a.KubernetesAuthCredentials; k != nil {
		add("kubernetesAuthCredentials", true, map[string]*esv1.SecretKeySelector{"identityId": &k.IdentityID,
			"serviceAccountTokenPath": k.ServiceAccountTokenPath})
	}
	add("awsAuthCredentials", a.AWSAuthCredentials != nil, nil)
	add("azureAuthCredentials", a.AzureAuthCredentials != nil, nil)
	add("gcpIamAuthCredentials", a.GCPIAMAuthCredentials != nil, nil)
	add("gcpIdTokenAuthCredentials", a.GCPIDTokenAuthCredentials != nil, nil)
	add("ociAuthCredentials", a.OCIAuthCredentials != nil, nil)
	return refs, set
}
