package validation

import (
	"fmt"
	"net/url"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// QuayDefaultRegistry is the registry of a QuayAccessToken without url.
const QuayDefaultRegistry = "quay.io"

// QuayRegistry returns the registry host of a QuayAccessToken's url, which, as in External
// Secrets Operator, is a host (and port) with or without https://; QuayDefaultRegistry
// when unset.
func QuayRegistry(specURL string) (string, error) {
	if specURL == "" {
		return QuayDefaultRegistry, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(specURL, "https://"), "/")
	if host == "" || strings.ContainsAny(host, "/?#@ ") || strings.Contains(host, ":/") {
		return "", fmt.Errorf("%q is not a registry host: write it quay.example.com or https://quay.example.com "+
			"(Quay's federation endpoint is served over HTTPS only)", specURL)
	}
	return host, nil
}

// registryTokenSpec returns the problems of the spec of a registry login kind (Quay,
// Cloudsmith, ACR, GCR), and whether kind is one. What needs the ExternalSecret's
// namespace or a call (Secrets, ServiceAccounts) is checked when the generator runs.
func registryTokenSpec(kind string, spec *genv1alpha1.GeneratorSpec, field string) ([]error, bool) {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch kind {
	case genv1alpha1.QuayAccessTokenKind:
		s := spec.QuayAccessTokenSpec
		if s == nil {
			return []error{fmt.Errorf("%s: required for kind %s", field, kind)}, true
		}
		if _, err := QuayRegistry(s.URL); err != nil {
			add("%s.url: %w", field, err)
		}
		if org, name, ok := strings.Cut(s.RobotAccount, "+"); !ok || org == "" || name == "" {
			add("%s.robotAccount: %q is not a robot account: write it as Quay names it, organization+name", field, s.RobotAccount)
		}
		errs = append(errs, serviceAccountRef(s.ServiceAccountRef, field+".serviceAccountRef")...)
	case genv1alpha1.CloudsmithAccessTokenKind:
		s := spec.CloudsmithAccessTokenSpec
		if s == nil {
			return []error{fmt.Errorf("%s: required for kind %s", field, kind)}, true
		}
		if s.APIURL != "" {
			if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				add("%s.apiUrl: %q is not an http(s) URL; leave it unset for https://api.cloudsmith.io", field, s.APIURL)
			}
		}
		if s.OrgSlug == "" {
			add("%s.orgSlug: required: the slug of the Cloudsmith organization", field)
		}
		if s.ServiceSlug == "" {
			add("%s.serviceSlug: required: the slug of the Cloudsmith service account whose token is wanted", field)
		}
		errs = append(errs, serviceAccountRef(s.ServiceAccountRef, field+".serviceAccountRef")...)
	case genv1alpha1.ACRAccessTokenKind:
		s := spec.ACRAccessTokenSpec
		if s == nil {
			return []error{fmt.Errorf("%s: required for kind %s", field, kind)}, true
		}
		errs = acrAccessToken(s, field)
	case genv1alpha1.GCRAccessTokenKind:
		s := spec.GCRAccessTokenSpec
		if s == nil {
			return []error{fmt.Errorf("%s: required for kind %s", field, kind)}, true
		}
		errs = gcrAccessToken(s, field)
	default:
		return nil, false
	}
	return errs, true
}

// serviceAccountRef checks a reference to the ServiceAccount whose token is exchanged.
func serviceAccountRef(ref esv1.ServiceAccountSelector, field string) []error {
	if ref.Name == "" {
		return []error{fmt.Errorf("%s.name: required: the ServiceAccount whose token is exchanged", field)}
	}
	return nil
}

// acrAccessToken checks an ACRAccessToken's spec: a registry host, exactly one auth, and
// what that auth needs.
func acrAccessToken(s *genv1alpha1.ACRAccessTokenSpec, field string) []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s.Registry == "" || strings.ContainsAny(s.Registry, "/?#@ ") {
		add("%s.registry: %q is not a registry host: write it as the login server, e.g. example.azurecr.io", field, s.Registry)
	}
	switch s.EnvironmentType {
	case "", esv1.AzureEnvironmentPublicCloud, esv1.AzureEnvironmentUSGovernmentCloud, esv1.AzureEnvironmentChinaCloud,
		esv1.AzureEnvironmentGermanCloud:
	default:
		add("%s.environmentType: must be PublicCloud, USGovernmentCloud, ChinaCloud or GermanCloud, not %q", field, s.EnvironmentType)
	}
	a := s.Auth
	set := 0
	for _, isSet := range []bool{a.ServicePrincipal != nil, a.ManagedIdentity != nil, a.WorkloadIdentity != nil} {
		if isSet {
			set++
		}
	}
	if set != 1 {
		add("%s.auth: set exactly one of servicePrincipal, managedIdentity and workloadIdentity, not %d", field, set)
	}
	if sp := a.ServicePrincipal; sp != nil {
		if s.TenantID == "" {
			add("%s.tenantId: required with auth.servicePrincipal: the tenant of the application", field)
		}
		if ref := sp.SecretRef.ClientID; ref.Name == "" || ref.Key == "" {
			add("%s.auth.servicePrincipal.secretRef.clientId: name and key are required", field)
		}
		if ref := sp.SecretRef.ClientSecret; ref.Name == "" || ref.Key == "" {
			add("%s.auth.servicePrincipal.secretRef.clientSecret: name and key are required", field)
		}
	}
	if wi := a.WorkloadIdentity; wi != nil && wi.ServiceAccountRef != nil {
		errs = append(errs, serviceAccountRef(*wi.ServiceAccountRef, field+".auth.workloadIdentity.serviceAccountRef")...)
	}
	return errs
}

// gcrAccessToken checks a GCRAccessToken's spec: a project and at most one auth (none means
// Ferry's own Application Default Credentials); the Secret Manager provider checks the rest
// of the auth when the generator runs.
func gcrAccessToken(s *genv1alpha1.GCRAccessTokenSpec, field string) []error {
	var errs []error
	if s.ProjectID == "" {
		errs = append(errs, fmt.Errorf("%s.projectID: required: the project of the registry", field))
	}
	set := 0
	for _, isSet := range []bool{s.Auth.SecretRef != nil, s.Auth.WorkloadIdentity != nil, s.Auth.WorkloadIdentityFederation != nil} {
		if isSet {
			set++
		}
	}
	if set > 1 {
		errs = append(errs, fmt.Errorf("%s.auth: set at most one of secretRef, workloadIdentity and workloadIdentityFederation, not %d", field, set))
	}
	if wi := s.Auth.WorkloadIdentity; wi != nil {
		errs = append(errs, serviceAccountRef(wi.ServiceAccountRef, field+".auth.workloadIdentity.serviceAccountRef")...)
		if wi.ClusterLocation == "" || wi.ClusterName == "" {
			errs = append(errs, fmt.Errorf("%s.auth.workloadIdentity: clusterLocation and clusterName are required: "+
				"they name the GKE cluster whose workload identity pool trusts the token", field))
		}
	}
	return errs
}
