package v1alpha1_test

import (
	"testing"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/conversiontest"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// storeOf wraps one provider block in a v1alpha1 SecretStore manifest.
func storeOf(provider string) string {
	return "apiVersion: external-secrets.io/v1alpha1\nkind: SecretStore\n" +
		"metadata: {name: store, namespace: apps}\nspec:\n  provider:\n" + provider
}

// TestMoreProviderStores follows a v1alpha1 store of each provider that ESO's v1alpha1 had
// beyond the first seven through v1 and back: what was applied comes back, the v1 form says
// the same, and a v1 store that uses what v1alpha1 lacks survives a trip through v1alpha1.
// Alibaba, which v1 no longer has, is kept aside in the stored object.
func TestMoreProviderStores(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		// inV1 reports whether the v1 form holds what the manifest says.
		inV1 func(p *esv1.SecretStoreProvider) bool
		// v1Only sets fields of the v1 form that v1alpha1 has no place for; nil where v1
		// adds none.
		v1Only func(p *esv1.SecretStoreProvider)
		kept   []string
	}{
		{
			name: "akeyless",
			provider: `    akeyless:
      akeylessGWApiURL: https://api.akeyless.io
      authSecretRef:
        secretRef:
          accessID: {name: akeyless-secret-creds, key: accessId}
          accessType: {name: akeyless-secret-creds, key: accessType}
          accessTypeParam: {name: akeyless-secret-creds, key: accessTypeParam}
`,
			inV1: func(p *esv1.SecretStoreProvider) bool {
				a := p.Akeyless
				return a.AkeylessGWAPIURL == "https://api.akeyless.io" &&
					a.AuthSecretRef.SecretRef.AccessTypeParam.Key == "accessTypeParam"
			},
			v1Only: func(p *esv1.SecretStoreProvider) {
				p.Akeyless.IgnoreCache = true
				p.Akeyless.AuthSecretRef.ServiceAccountRef = &esv1.ServiceAccountSelector{Name: "akeyless"}
			},
		},
		{
			name: "akeyless kubernetes auth",
			provider: `    akeyless:
      akeylessGWApiURL: https://gw.example.com:8080/v2
      caProvider: {type: ConfigMap, name: gw-ca, key: ca.crt}
      authSecretRef:
        kubernetesAuth:
          accessID: p-XXXXXX
          k8sConfName: my-conf-name
          serviceAccountRef: {name: my-sa}
`,
			inV1: func(p *esv1.SecretStoreProvider) bool {
				k := p.Akeyless.AuthSecretRef.KubernetesAuth
				return k.K8sConfName == "my-conf-name" && k.ServiceAccountRef.Name == "my-sa" &&
					p.Akeyless.CAProvider.Name == "gw-ca"
			},
		},
		{
			name: "oracle",
			provider: `    oracle:
      vault: ocid1.vault.oc1..example
      region: eu-frankfurt-1
      auth:
        user: ocid1.user.oc1..example
        tenancy: ocid1.tenancy.oc1..example
        secretRef:
          privatekey: {name: oracle-secret, key: privateKey}
          fingerprint: {name: oracle-secret, key: fingerprint}
`,
			inV1: func(p *esv1.SecretStoreProvider) bool {
				o := p.Oracle
				return o.Region == "eu-frankfurt-1" && o.Auth.Tenancy == "ocid1.tenancy.oc1..example" &&
					o.Auth.SecretRef.Fingerprint.Key == "fingerprint"
			},
		},
		{
			name: "oracle workload identity",
			provider: `    oracle:
      vault: ocid1.vault.oc1..example
      region: eu-frankfurt-1
      principalType: Workload
      serviceAccountRef: {name: oci-reader}
`,
			inV1: func(p *esv1.SecretStoreProvider) bool {
				return p.Oracle.PrincipalType == "Workload" && p.Oracle.ServiceAccountRef.Name == "oci-reader"
			},
		},
		{
			name: "ibm",
			provider: `    ibm:
      serviceUrl: https://example.eu-de.secrets-manager.appdomain.cloud
      auth:
        secretRef:
          secretApiKeySecretRef: {name: ibm-secret, key: apiKey}
`,
			inV1: func(p *esv1.SecretStoreProvider) bool {
				return p.IBM.ServiceURL == "https://example.eu-de.secrets-manager.appdomain.cloud" &&
					p.IBM.Auth.SecretRef.SecretAPIKeySecretRef.Key == "apiKey"
			},
			// v1alpha1 requires auth.secretRef; a v1 store authenticating with a trusted
			// profile instead has none.
			v1Only: func(p *esv1.SecretStoreProvider) {
				p.IBM.Auth = esv1.IBMAuth{ContainerAuth: &esv1.IBMContainerAuth{Profile: "reader"}}
			},
		},
		{
			name: "yandexlockbox",
			provider: `    yandexlockbox:
      auth:
        authorizedKeySecretRef: {name: yc-auth, key: authorized-key}
      caProvider:
        certSecretRef: {name: yc-ca, key: ca.pem}
`,
			inV1: func(p *esv1.SecretStoreProvider) bool {
				y := p.YandexLockbox
				return y.Auth.AuthorizedKeySecretRef.Key == "authorized-key" && y.CAProvider.CertSecretRef.Name == "yc-ca"
			},
			v1Only: func(p *esv1.SecretStoreProvider) {
				p.YandexLockbox.Fetching = &esv1.YandexFetching{ByName: &esv1.YandexFetchByName{FolderID: "b1g"}}
			},
		},
		{
			name: "gitlab",
			provider: `    gitlab:
      url: https://gitlab.example.com
      projectID: "42"
      auth:
        SecretRef:
          accessToken: {name: gitlab-secret, key: token}
`,
			inV1: func(p *esv1.SecretStoreProvider) bool {
				g := p.Gitlab
				return g.URL == "https://gitlab.example.com" && g.ProjectID == "42" && g.Auth.SecretRef.AccessToken.Key == "token"
			},
			v1Only: func(p *esv1.SecretStoreProvider) {
				p.Gitlab.GroupIDs = []string{"7"}
				p.Gitlab.InheritFromGroups = true
				p.Gitlab.Environment = "production"
			},
		},
		{
			name: "passworddepot",
			provider: `    passworddepot:
      host: depot.example.com
      database: Production
      auth:
        secretRef:
          credentials: {name: depot-creds}
`,
			inV1: func(p *esv1.SecretStoreProvider) bool {
				d := p.PasswordDepot
				return d.Host == "depot.example.com" && d.Database == "Production" && d.Auth.SecretRef.Credentials.Name == "depot-creds"
			},
		},
		{
			name: "alibaba",
			provider: `    alibaba:
      regionID: cn-hangzhou
      auth:
        secretRef:
          accessKeyIDSecretRef: {name: alibaba-creds, key: access-key-id}
          accessKeySecretSecretRef: {name: alibaba-creds, key: access-key-secret}
`,
			inV1: func(p *esv1.SecretStoreProvider) bool { return *p == esv1.SecretStoreProvider{} },
			kept: []string{"spec.provider.alibaba"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := readBackThroughV1(t, storeOf(tt.provider), tt.kept...)
			if !tt.inV1(hub.Spec.Provider) {
				t.Errorf("provider in v1 = %s", conversiontest.JSON(t, hub.Spec.Provider))
			}
			wantKept := 0
			if tt.v1Only != nil {
				tt.v1Only(hub.Spec.Provider)
				wantKept = 1
			}
			spoke := conversiontest.HubRoundTrip(t, hub, newSS(), newHubSS())
			if got := conversiontest.KeptSections(t, spoke.ObjectMeta, "v1"); len(got) != wantKept {
				t.Errorf("v1alpha1 keeps %v of v1, want %d section(s)", got, wantKept)
			}
		})
	}
}
