package generator

import (
	"errors"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
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

func TestACRStore(t *testing.T) {
	other := "other"
	spec := &genv1alpha1.ACRAccessTokenSpec{Registry: "r.azurecr.io", TenantID: "t", Auth: genv1alpha1.ACRAuth{
		ServicePrincipal: &genv1alpha1.AzureACRServicePrincipalAuth{SecretRef: genv1alpha1.AzureACRServicePrincipalAuthSecretRef{
			ClientID: esv1.SecretKeySelector{Name: "sp", Key: "id"}, ClientSecret: esv1.SecretKeySelector{Name: "sp", Key: "secret", Namespace: &other}}}}}
	if _, err := acrStore(spec, "team"); !errors.Is(err, ErrInvalidSpec) ||
		!strings.Contains(err.Error(), "spec.auth.servicePrincipal.secretRef.clientSecret.namespace") {
		t.Errorf("a Secret of another namespace: %v, want an invalid spec naming the field", err)
	}
	spec.Auth.ServicePrincipal.SecretRef.ClientSecret.Namespace = nil
	store, err := acrStore(spec, "team")
	if err != nil {
		t.Fatal(err)
	}
	az := store.Spec.Provider.AzureKV
	if store.Namespace != "team" || *az.AuthType != esv1.AzureServicePrincipal || *az.TenantID != "t" || az.AuthSecretRef.ClientSecret.Key != "secret" {
		t.Errorf("store %+v does not carry the auth", az)
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

func TestGCRStore(t *testing.T) {
	spec := &genv1alpha1.GCRAccessTokenSpec{ProjectID: "p", Auth: genv1alpha1.GCRAuth{
		WorkloadIdentityFederation: &esv1.GCPWorkloadIdentityFederation{Audience: "a"}}}
	if _, err := gcrStore(spec, "team"); !errors.Is(err, ErrNotServed) {
		t.Errorf("workload identity federation: %v, want not served", err)
	}
	other := "other"
	spec.Auth = genv1alpha1.GCRAuth{WorkloadIdentity: &genv1alpha1.GCRWorkloadIdentity{
		ServiceAccountRef: esv1.ServiceAccountSelector{Name: "sa", Namespace: &other}, ClusterLocation: "l", ClusterName: "c"}}
	if _, err := gcrStore(spec, "team"); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("a ServiceAccount of another namespace: %v, want an invalid spec", err)
	}
	spec.Auth.WorkloadIdentity.ServiceAccountRef.Namespace = nil
	store, err := gcrStore(spec, "team")
	if err != nil || store.Spec.Provider.GCPSM.Auth.WorkloadIdentity.ClusterName != "c" || store.Spec.Provider.GCPSM.ProjectID != "p" {
		t.Errorf("store %+v, %v", store, err)
	}
}
