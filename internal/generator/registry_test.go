package generator

import (
	"context"
	"errors"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/provider/azurekv"
	"github.com/ferryhq/ferry/internal/provider/gcpsm"
)

// The registry generators run end to end in the ExternalSecret controller's tests, against
// a real API server and in-process vendor servers; these check the pure parts.

func TestRefusalQuotesOnlyClientErrors(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   string
	}{
		{401, `{"error": "Token does not match robot"}`, "answered 401 Unauthorized: Token does not match robot"},
		{400, `{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}`,
			"answered 400 Bad Request: AADSTS7000215: Invalid client secret provided."},
		{401, `{"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}`, "answered 401 Unauthorized: authentication required"},
		{403, `<html>denied</html>`, "answered 403 Forbidden"},
		{503, `{"message": "upstream said secret-value"}`, "answered 503 Service Unavailable"},
	}
	for _, tt := range tests {
		got := refusal("POST https://r.example/oauth2/exchange", tt.status, []byte(tt.body)).Error()
		if got != "POST https://r.example/oauth2/exchange: "+tt.want {
			t.Errorf("%d %s: %q, want the call and %q", tt.status, tt.body, got, tt.want)
		}
	}
}

func TestACRAccess(t *testing.T) {
	other := "other"
	spec := &genv1alpha1.ACRAccessTokenSpec{Registry: "r.azurecr.io", TenantID: "t", Auth: genv1alpha1.ACRAuth{
		ServicePrincipal: &genv1alpha1.AzureACRServicePrincipalAuth{SecretRef: genv1alpha1.AzureACRServicePrincipalAuthSecretRef{
			ClientID: esv1.SecretKeySelector{Name: "sp", Key: "id"}, ClientSecret: esv1.SecretKeySelector{Name: "sp", Key: "secret", Namespace: &other}}}}}
	g := NewACRAccessToken(azurekv.New())
	_, err := g.Generate(context.Background(), &genv1alpha1.GeneratorSpec{ACRAccessTokenSpec: spec}, nil, "team")
	if !errors.Is(err, ErrInvalidSpec) ||
		!strings.Contains(err.Error(), "spec.auth.servicePrincipal.secretRef.clientSecret.namespace: a generator reads only in the namespace of the object that uses it (team), not in other") {
		t.Errorf("a Secret of another namespace: %v, want an invalid spec naming the field", err)
	}
	spec.Auth.ServicePrincipal.SecretRef.ClientSecret.Namespace = nil
	identity, err := acrAccess(spec, "team")
	if err != nil {
		t.Fatal(err)
	}
	az := identity.Spec
	if identity.For.GetNamespace() != "team" || *az.AuthType != esv1.AzureServicePrincipal || *az.TenantID != "t" || az.AuthSecretRef.ClientSecret.Key != "secret" {
		t.Errorf("access %+v does not carry the auth", az)
	}
	for env, want := range map[esv1.AzureEnvironmentType]string{"": "https://management.azure.com/.default",
		esv1.AzureEnvironmentChinaCloud: "https://management.chinacloudapi.cn/.default"} {
		if got := armScope(env); got != want {
			t.Errorf("armScope(%q) = %q, want %q", env, got, want)
		}
	}
	err = acrFields(errors.New("spec.provider.azurekv.serviceAccountRef: ServiceAccount team/x has no annotation"))
	if err.Error() != "spec.auth.workloadIdentity.serviceAccountRef: ServiceAccount team/x has no annotation" {
		t.Errorf("renamed: %v", err)
	}
}

func TestGCRAccess(t *testing.T) {
	spec := &genv1alpha1.GCRAccessTokenSpec{ProjectID: "p", Auth: genv1alpha1.GCRAuth{
		WorkloadIdentityFederation: &esv1.GCPWorkloadIdentityFederation{Audience: "a"}}}
	other := "other"
	// Federation is checked as a store's is, with the generator's field names and namespace.
	_, err := NewGCRAccessToken(gcpsm.New()).Generate(context.Background(), &genv1alpha1.GeneratorSpec{GCRAccessTokenSpec: spec}, nil, "team")
	for _, want := range []string{"spec.auth.workloadIdentityFederation: set exactly one of credConfig, serviceAccountRef and awsSecurityCredentials",
		`spec.auth.workloadIdentityFederation.audience: "a" is not a workload identity pool provider`} {
		if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), want) {
			t.Errorf("federation without a source: %v, want an invalid spec saying %q", err, want)
		}
	}
	spec.Auth.WorkloadIdentityFederation = &esv1.GCPWorkloadIdentityFederation{
		CredConfig: &esv1.ConfigMapReference{Name: "wif", Key: "config.json", Namespace: &other}}
	_, err = NewGCRAccessToken(gcpsm.New()).Generate(context.Background(), &genv1alpha1.GeneratorSpec{GCRAccessTokenSpec: spec}, nil, "team")
	if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "spec.auth.workloadIdentityFederation.credConfig.namespace: a generator reads only in the namespace") {
		t.Errorf("a credential configuration of another namespace: %v, want an invalid spec naming the field", err)
	}
	spec.Auth = genv1alpha1.GCRAuth{WorkloadIdentity: &genv1alpha1.GCRWorkloadIdentity{
		ServiceAccountRef: esv1.ServiceAccountSelector{Name: "sa", Namespace: &other}, ClusterLocation: "l", ClusterName: "c"}}
	g := NewGCRAccessToken(gcpsm.New())
	_, err = g.Generate(context.Background(), &genv1alpha1.GeneratorSpec{GCRAccessTokenSpec: spec}, nil, "team")
	if !errors.Is(err, ErrInvalidSpec) ||
		!strings.Contains(err.Error(), "spec.auth.workloadIdentity.serviceAccountRef.namespace: a generator reads only in the namespace of the object that uses it (team), not in other") {
		t.Errorf("a ServiceAccount of another namespace: %v, want an invalid spec naming the field", err)
	}
	spec.Auth.WorkloadIdentity.ServiceAccountRef.Namespace = nil
	identity := gcrAccess(spec, "team")
	if identity.Spec.Auth.WorkloadIdentity.ClusterName != "c" || identity.Spec.ProjectID != "p" ||
		identity.For.GetNamespace() != "team" {
		t.Errorf("access %+v", identity)
	}
}
