package vault

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

func TestValidateStore(t *testing.T) {
	token := &esv1.VaultAuth{TokenSecretRef: &esv1.SecretKeySelector{Name: "t", Key: "token"}}
	other := "other"
	tests := []struct {
		name    string
		cluster bool
		spec    esv1.VaultProvider
		want    string // a substring of the error; empty: valid
		// admitted: ESO admits it, so the error is an admitted mistake (a warning at
		// admission, InvalidProviderConfig on the store), not a refusal.
		admitted bool
	}{
		{name: "token", spec: esv1.VaultProvider{Server: "https://vault:8200", Auth: token}},
		{name: "no server", spec: esv1.VaultProvider{Auth: token}, want: "spec.provider.vault.server: required"},
		{name: "server not a URL", spec: esv1.VaultProvider{Server: "vault:8200", Auth: token}, want: "spec.provider.vault.server:"},
		{name: "bad version", spec: esv1.VaultProvider{Server: "http://v", Version: "v3", Auth: token}, want: "spec.provider.vault.version:"},
		{name: "no auth", spec: esv1.VaultProvider{Server: "http://v"}, want: "spec.provider.vault.auth: required", admitted: true},
		{name: "empty auth", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{}}, want: "spec.provider.vault.auth: set one of", admitted: true},
		{name: "two methods", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{
			TokenSecretRef: token.TokenSecretRef, UserPass: &esv1.VaultUserPassAuth{Username: "u", SecretRef: esv1.SecretKeySelector{Name: "p", Key: "k"}},
		}}, want: "mutually exclusive"},
		{name: "token without key", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{
			TokenSecretRef: &esv1.SecretKeySelector{Name: "t"}}}, want: "spec.provider.vault.auth.tokenSecretRef.key: required"},
		{name: "approle without role", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{AppRole: &esv1.VaultAppRole{
			SecretRef: esv1.SecretKeySelector{Name: "s", Key: "k"}}}}, want: "spec.provider.vault.auth.appRole: set roleId or roleRef"},
		{name: "kubernetes without role", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{Kubernetes: &esv1.VaultKubernetesAuth{
			ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa"}}}}, want: "spec.provider.vault.auth.kubernetes.role: required"},
		{name: "kubernetes with serviceAccountRef and secretRef", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{
			Kubernetes: &esv1.VaultKubernetesAuth{Role: "r", ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa"},
				SecretRef: &esv1.SecretKeySelector{Name: "s", Key: "vault"}}}}},
		{name: "kubernetes with Ferry's own token in a SecretStore", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{
			Kubernetes: &esv1.VaultKubernetesAuth{Role: "r"}}}, want: "only a ClusterSecretStore"},
		{name: "kubernetes with Ferry's own token in a ClusterSecretStore", cluster: true, spec: esv1.VaultProvider{Server: "http://v",
			Auth: &esv1.VaultAuth{Kubernetes: &esv1.VaultKubernetesAuth{Role: "r"}}}},
		{name: "jwt without token", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{Jwt: &esv1.VaultJwtAuth{Role: "r"}}},
			want: "spec.provider.vault.auth.jwt: set secretRef or kubernetesServiceAccountToken"},
		{name: "userpass without username", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{UserPass: &esv1.VaultUserPassAuth{
			SecretRef: esv1.SecretKeySelector{Name: "p", Key: "k"}}}}, want: "spec.provider.vault.auth.userPass.username: required"},
		{name: "ldap", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{Ldap: &esv1.VaultLdapAuth{
			Username: "u", SecretRef: esv1.SecretKeySelector{Name: "p", Key: "k"}}}}},
		{name: "iam", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{Iam: &esv1.VaultIamAuth{VaultRole: "r"}}},
			want: "spec.provider.vault.auth.iam: the AWS IAM auth method is not supported"},
		{name: "half a client certificate", spec: esv1.VaultProvider{Server: "http://v", Auth: token, ClientTLS: &esv1.VaultClientTLS{
			CertSecretRef: &esv1.SecretKeySelector{Name: "c", Key: "tls.crt"}}}, want: "spec.provider.vault.tls:"},
		{name: "caProvider without key", spec: esv1.VaultProvider{Server: "http://v", Auth: token, CAProvider: &esv1.CAProvider{
			Type: esv1.CAProviderTypeConfigMap, Name: "ca"}}, want: "spec.provider.vault.caProvider.key: required"},
		{name: "another namespace's Secret", spec: esv1.VaultProvider{Server: "http://v", Auth: &esv1.VaultAuth{
			TokenSecretRef: &esv1.SecretKeySelector{Name: "t", Key: "k", Namespace: &other}}},
			want: "spec.provider.vault.auth.tokenSecretRef.namespace: a SecretStore may only reference its own namespace"},
		{name: "another namespace's Secret in a ClusterSecretStore", cluster: true, spec: esv1.VaultProvider{Server: "http://v",
			Auth: &esv1.VaultAuth{TokenSecretRef: &esv1.SecretKeySelector{Name: "t", Key: "k", Namespace: &other}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			var store esv1.GenericStore = &esv1.SecretStore{
				ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "s"},
				Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Vault: &spec}},
			}
			if tt.cluster {
				store = &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "s"},
					Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Vault: &spec}}}
			}
			err := New().ValidateStore(store)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateStore = %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateStore = %v, want an error containing %q", err, tt.want)
			case err != nil && errors.Is(err, provider.ErrAdmittedMistake) != tt.admitted:
				t.Errorf("ValidateStore = %v: an admitted mistake = %v, want %v", err, !tt.admitted, tt.admitted)
			}
		})
	}
}
