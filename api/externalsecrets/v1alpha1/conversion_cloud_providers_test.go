package v1alpha1_test

import (
	"testing"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/conversiontest"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// Stores of the gcpsm and azurekv providers as ESO v0.15 users wrote them.
const (
	alphaGCPStore = `
apiVersion: external-secrets.io/v1alpha1
kind: SecretStore
metadata: {name: gcp, namespace: apps}
spec:
  provider:
    gcpsm:
      projectID: my-project
      auth:
        workloadIdentity:
          clusterLocation: europe-west1
          clusterName: prod
          serviceAccountRef: {name: reader}
`
	alphaAzureStore = `
apiVersion: external-secrets.io/v1alpha1
kind: SecretStore
metadata: {name: azure, namespace: apps}
spec:
  provider:
    azurekv:
      vaultUrl: https://my-vault.vault.azure.net
      tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
      authSecretRef:
        clientId: {name: azure-sp, key: client-id}
        clientSecret: {name: azure-sp, key: client-secret}
`
)

// TestCloudProviderStores follows v1alpha1 gcpsm and azurekv stores through v1 (with both
// versions' defaults) and back, which must give what was applied with nothing kept; and a
// v1 store using fields v1alpha1 lacks down and back unchanged.
func TestCloudProviderStores(t *testing.T) {
	for name, manifest := range map[string]string{"gcpsm": alphaGCPStore, "azurekv": alphaAzureStore} {
		t.Run(name, func(t *testing.T) {
			spoke := decode[v1alpha1.SecretStore](t, manifest)
			conversiontest.ApplyDefaults(t, "SecretStore", "v1alpha1", spoke)
			hub := newHubSS()
			if err := spoke.ConvertTo(hub); err != nil {
				t.Fatalf("cannot convert to v1: %v", err)
			}
			conversiontest.ApplyDefaults(t, "SecretStore", "v1", hub)
			switch name {
			case "gcpsm":
				gcp := hub.Spec.Provider.GCPSM
				if gcp.ProjectID != "my-project" || gcp.Auth.WorkloadIdentity.ClusterName != "prod" ||
					gcp.SecretVersionSelectionPolicy != esv1.SecretVersionSelectionPolicyLatestOrFail {
					t.Errorf("gcpsm in v1 = %s", conversiontest.JSON(t, gcp))
				}
			case "azurekv":
				az := hub.Spec.Provider.AzureKV
				if *az.AuthType != esv1.AzureServicePrincipal || az.EnvironmentType != esv1.AzureEnvironmentPublicCloud ||
					az.AuthSecretRef.ClientSecret.Key != "client-secret" {
					t.Errorf("azurekv in v1 = %s", conversiontest.JSON(t, az))
				}
			}
			back := newSS()
			if err := back.ConvertFrom(hub); err != nil {
				t.Fatalf("cannot convert from v1: %v", err)
			}
			if want, got := conversiontest.JSON(t, spoke), conversiontest.JSON(t, back); got != want {
				t.Errorf("read back\n%s\nwant\n%s", got, want)
			}
			if kept := hub.GetAnnotations()[esv1.AnnotationConversionData]; kept != "" {
				t.Errorf("the stored object keeps %s", kept)
			}

			// Fields only v1 has survive a trip through v1alpha1.
			if hub.Spec.Provider.GCPSM != nil {
				hub.Spec.Provider.GCPSM.Location = "europe-west1"
			} else {
				hub.Spec.Provider.AzureKV.CustomCloudConfig = &esv1.AzureCustomCloudConfig{ActiveDirectoryEndpoint: "https://login.example.com/"}
				hub.Spec.Provider.AzureKV.AuthSecretRef.ClientCertificate = &esv1.SecretKeySelector{Name: "c", Key: "tls"}
			}
			want := conversiontest.JSON(t, hub.Spec)
			down := newSS()
			if err := down.ConvertFrom(hub); err != nil {
				t.Fatal(err)
			}
			again := newHubSS()
			if err := down.ConvertTo(again); err != nil {
				t.Fatal(err)
			}
			if got := conversiontest.JSON(t, again.Spec); got != want {
				t.Errorf("v1 → v1alpha1 → v1 gave\n%s\nwant\n%s", got, want)
			}
		})
	}
}
