package generator

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// The calls against a server speaking BeyondTrust's API run in the ExternalSecret
// controller's tests; these check what is refused before any call, and how.
func TestBeyondtrustRefusesBeforeCalling(t *testing.T) {
	kube := kubeWith(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "bt"},
		Data: map[string][]byte{"token": []byte("pat-unit-test")}})
	other := "elsewhere"
	tests := []struct {
		name    string
		edit    func(*genv1alpha1.BeyondtrustWorkloadCredentialsProvider)
		invalid bool
		want    string
	}{
		{"caBundle without a certificate", func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) { p.CABundle = []byte("not PEM") },
			true, "spec.provider.caBundle: no PEM certificate found"},
		{"caProvider in another namespace", func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) {
			p.CAProvider = &esv1.CAProvider{Type: esv1.CAProviderTypeSecret, Name: "ca", Key: "ca.crt", Namespace: &other}
		}, true, "spec.provider.caProvider.namespace"},
		{"API key Secret missing", func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) { p.Auth.APIKey.Token.Name = "gone" },
			false, "spec.provider.auth.apikey.token: reading Secret team/gone"},
		{"caProvider ConfigMap missing", func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) {
			p.CAProvider = &esv1.CAProvider{Type: esv1.CAProviderTypeConfigMap, Name: "ca", Key: "ca.crt"}
		}, false, "spec.provider.caProvider: reading ConfigMap team/ca"},
	}
	g := NewBeyondtrustWorkloadCredentialsDynamicSecret()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := genv1alpha1.BeyondtrustWorkloadCredentialsProvider{
				// Port 1 of loopback: nothing listens, nothing leaves the machine.
				Server:     genv1alpha1.BeyondtrustWorkloadCredentialsServer{APIURL: "https://127.0.0.1:1/site", SiteID: "0f3c6a52-8d7e-4b1a-9c2d-5e6f7a8b9c0d"},
				Auth:       genv1alpha1.BeyondtrustWorkloadCredentialsAuth{APIKey: genv1alpha1.BeyondtrustWorkloadCredentialsAPIKey{Token: esv1.SecretKeySelector{Name: "bt", Key: "token"}}},
				FolderPath: "apps/deploy",
			}
			tt.edit(&p)
			spec := &genv1alpha1.GeneratorSpec{BeyondtrustWorkloadCredentialsDynamicSecretSpec: &genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretSpec{Provider: p}}
			_, err := g.Generate(context.Background(), spec, kube, "team")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one with %q", err, tt.want)
			}
			if errors.Is(err, ErrInvalidSpec) != tt.invalid {
				t.Errorf("invalid spec = %v, want %v: %v", !tt.invalid, tt.invalid, err)
			}
			if strings.Contains(err.Error(), "pat-unit-test") {
				t.Error("the error quotes the API key")
			}
		})
	}
}
