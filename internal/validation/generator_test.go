package validation

import (
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

func ptr[T any](v T) *T { return &v }

// beyondtrust returns a valid BeyondtrustWorkloadCredentialsDynamicSecret spec that edit changes.
func beyondtrust(edit func(*genv1alpha1.BeyondtrustWorkloadCredentialsProvider)) *genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretSpec {
	s := &genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretSpec{Provider: genv1alpha1.BeyondtrustWorkloadCredentialsProvider{
		Server: genv1alpha1.BeyondtrustWorkloadCredentialsServer{APIURL: "https://api.beyondtrust.io/site", SiteID: "0f3c6a52-8d7e-4b1a-9c2d-5e6f7a8b9c0d"},
		Auth: genv1alpha1.BeyondtrustWorkloadCredentialsAuth{APIKey: genv1alpha1.BeyondtrustWorkloadCredentialsAPIKey{
			Token: esv1.SecretKeySelector{Name: "bt", Key: "token"}}},
		FolderPath: "apps/aws/deploy",
	}}
	edit(&s.Provider)
	return s
}

func TestGeneratorSpecs(t *testing.T) {
	tests := []struct {
		name string
		kind string
		spec genv1alpha1.GeneratorSpec
		// want is a part of the error; empty means valid.
		want string
	}{
		{"password defaults", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 24}}, ""},
		{"password too short for digits and symbols", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 8, Digits: ptr(5), Symbols: ptr(5), AllowRepeat: true}},
			"spec.length: 8 is shorter than digits (5) plus symbols (5)"},
		{"password length zero", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 0}}, "spec.length: must be at least 1"},
		{"negative digits", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 8, Digits: ptr(-1)}}, "spec.digits: must not be negative"},
		{"eleven distinct digits", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 24, Digits: ptr(11)}}, "spec.digits: 11 distinct digits"},
		{"eleven digits with repeats", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 24, Digits: ptr(11), AllowRepeat: true}}, ""},
		{"more symbols than symbolCharacters", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 24, Symbols: ptr(5), SymbolCharacters: ptr("-_-_")}},
			"symbolCharacters holds only 2 distinct symbols, not 5"},
		{"symbols without characters", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 24, Symbols: ptr(2), SymbolCharacters: ptr(""), AllowRepeat: true}},
			"spec.symbolCharacters: empty"},
		{"too many letters without repeats and upper", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 40, Digits: ptr(0), Symbols: ptr(0), NoUpper: true}},
			"40 letters are needed but only 26"},
		{"duplicate and invalid secretKeys", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 24, SecretKeys: []string{"a", "a", "b/c", ""}}},
			`spec.secretKeys[1]: "a" is also secretKeys[0]`},
		{"unknown encoding", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 24, Encoding: ptr("rot13")}}, "spec.encoding"},
		{"beyondtrust valid", genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind,
			genv1alpha1.GeneratorSpec{BeyondtrustWorkloadCredentialsDynamicSecretSpec: beyondtrust(func(*genv1alpha1.BeyondtrustWorkloadCredentialsProvider) {})}, ""},
		{"beyondtrust definition at the top", genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind,
			genv1alpha1.GeneratorSpec{BeyondtrustWorkloadCredentialsDynamicSecretSpec: beyondtrust(func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) {
				p.FolderPath = "deploy"
			})}, ""},
		{"beyondtrust http", genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind,
			genv1alpha1.GeneratorSpec{BeyondtrustWorkloadCredentialsDynamicSecretSpec: beyondtrust(func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) {
				p.Server.APIURL = "http://bt.example/site"
			})}, "spec.provider.server.apiUrl: \"http://bt.example/site\" is not an https URL"},
		{"beyondtrust site not a UUID", genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind,
			genv1alpha1.GeneratorSpec{BeyondtrustWorkloadCredentialsDynamicSecretSpec: beyondtrust(func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) {
				p.Server.SiteID = "site-1"
			})}, "spec.provider.server.siteId"},
		{"beyondtrust without token key", genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind,
			genv1alpha1.GeneratorSpec{BeyondtrustWorkloadCredentialsDynamicSecretSpec: beyondtrust(func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) {
				p.Auth.APIKey.Token.Key = ""
			})}, "spec.provider.auth.apikey.token: name and key are required"},
		{"beyondtrust folder without a name", genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind,
			genv1alpha1.GeneratorSpec{BeyondtrustWorkloadCredentialsDynamicSecretSpec: beyondtrust(func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) {
				p.FolderPath = ""
			})}, "spec.provider.folderPath: \"\" names no dynamic secret"},
		{"beyondtrust without its spec", genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind,
			genv1alpha1.GeneratorSpec{}, "spec: required for kind BeyondtrustWorkloadCredentialsDynamicSecret"},
		{"ecr without region", genv1alpha1.ECRAuthorizationTokenKind,
			genv1alpha1.GeneratorSpec{ECRAuthorizationTokenSpec: &genv1alpha1.ECRAuthorizationTokenSpec{}}, "spec.region: required"},
		{"ecr unknown scope", genv1alpha1.ECRAuthorizationTokenKind,
			genv1alpha1.GeneratorSpec{ECRAuthorizationTokenSpec: &genv1alpha1.ECRAuthorizationTokenSpec{Region: "eu-west-1", Scope: "shared"}}, "spec.scope"},
		{"sts duration out of range", genv1alpha1.STSSessionTokenKind,
			genv1alpha1.GeneratorSpec{STSSessionTokenSpec: &genv1alpha1.STSSessionTokenSpec{Region: "eu-west-1",
				RequestParameters: &genv1alpha1.STSSessionTokenRequestParameters{SessionDuration: ptr(int32(60))}}},
			"spec.requestParameters.sessionDuration: STS accepts 900 to 129600 seconds, not 60"},
		{"sts token code without device", genv1alpha1.STSSessionTokenKind,
			genv1alpha1.GeneratorSpec{STSSessionTokenSpec: &genv1alpha1.STSSessionTokenSpec{Region: "eu-west-1",
				RequestParameters: &genv1alpha1.STSSessionTokenRequestParameters{TokenCode: ptr("123456")}}},
			"spec.requestParameters.tokenCode: needs serialNumber"},
		{"quay valid", genv1alpha1.QuayAccessTokenKind,
			genv1alpha1.GeneratorSpec{QuayAccessTokenSpec: &genv1alpha1.QuayAccessTokenSpec{URL: "https://quay.example:8443/",
				RobotAccount: "org+ci", ServiceAccountRef: esv1.ServiceAccountSelector{Name: "ci"}}}, ""},
		{"quay robot without organization", genv1alpha1.QuayAccessTokenKind,
			genv1alpha1.GeneratorSpec{QuayAccessTokenSpec: &genv1alpha1.QuayAccessTokenSpec{
				RobotAccount: "ci", ServiceAccountRef: esv1.ServiceAccountSelector{Name: "ci"}}},
			`spec.robotAccount: "ci" is not a robot account: write it as Quay names it, organization+name`},
		{"quay url with a path", genv1alpha1.QuayAccessTokenKind,
			genv1alpha1.GeneratorSpec{QuayAccessTokenSpec: &genv1alpha1.QuayAccessTokenSpec{URL: "quay.example/v2",
				RobotAccount: "org+ci", ServiceAccountRef: esv1.ServiceAccountSelector{Name: "ci"}}},
			`spec.url: "quay.example/v2" is not a registry host`},
		{"quay over http", genv1alpha1.QuayAccessTokenKind,
			genv1alpha1.GeneratorSpec{QuayAccessTokenSpec: &genv1alpha1.QuayAccessTokenSpec{URL: "http://quay.example",
				RobotAccount: "org+ci", ServiceAccountRef: esv1.ServiceAccountSelector{Name: "ci"}}},
			"served over HTTPS only"},
		{"quay without ServiceAccount", genv1alpha1.QuayAccessTokenKind,
			genv1alpha1.GeneratorSpec{QuayAccessTokenSpec: &genv1alpha1.QuayAccessTokenSpec{RobotAccount: "org+ci"}},
			"spec.serviceAccountRef.name: required"},
		{"quay spec missing", genv1alpha1.QuayAccessTokenKind, genv1alpha1.GeneratorSpec{}, "spec: required for kind QuayAccessToken"},
		{"cloudsmith valid", genv1alpha1.CloudsmithAccessTokenKind,
			genv1alpha1.GeneratorSpec{CloudsmithAccessTokenSpec: &genv1alpha1.CloudsmithAccessTokenSpec{OrgSlug: "acme", ServiceSlug: "ci",
				ServiceAccountRef: esv1.ServiceAccountSelector{Name: "ci"}}}, ""},
		{"cloudsmith without slugs", genv1alpha1.CloudsmithAccessTokenKind,
			genv1alpha1.GeneratorSpec{CloudsmithAccessTokenSpec: &genv1alpha1.CloudsmithAccessTokenSpec{
				ServiceAccountRef: esv1.ServiceAccountSelector{Name: "ci"}}},
			"spec.orgSlug: required: the slug of the Cloudsmith organization\nspec.serviceSlug: required"},
		{"cloudsmith apiUrl without scheme", genv1alpha1.CloudsmithAccessTokenKind,
			genv1alpha1.GeneratorSpec{CloudsmithAccessTokenSpec: &genv1alpha1.CloudsmithAccessTokenSpec{APIURL: "api.cloudsmith.io",
				OrgSlug: "acme", ServiceSlug: "ci", ServiceAccountRef: esv1.ServiceAccountSelector{Name: "ci"}}},
			`spec.apiUrl: "api.cloudsmith.io" is not an http(s) URL`},
		{"acr valid", genv1alpha1.ACRAccessTokenKind,
			genv1alpha1.GeneratorSpec{ACRAccessTokenSpec: &genv1alpha1.ACRAccessTokenSpec{Registry: "example.azurecr.io",
				Auth: genv1alpha1.ACRAuth{ManagedIdentity: &genv1alpha1.AzureACRManagedIdentityAuth{}}}}, ""},
		{"acr two auths", genv1alpha1.ACRAccessTokenKind,
			genv1alpha1.GeneratorSpec{ACRAccessTokenSpec: &genv1alpha1.ACRAccessTokenSpec{Registry: "example.azurecr.io",
				Auth: genv1alpha1.ACRAuth{ManagedIdentity: &genv1alpha1.AzureACRManagedIdentityAuth{},
					WorkloadIdentity: &genv1alpha1.AzureACRWorkloadIdentityAuth{}}}},
			"spec.auth: set exactly one of servicePrincipal, managedIdentity and workloadIdentity, not 2"},
		{"acr service principal without tenant and keys", genv1alpha1.ACRAccessTokenKind,
			genv1alpha1.GeneratorSpec{ACRAccessTokenSpec: &genv1alpha1.ACRAccessTokenSpec{Registry: "example.azurecr.io",
				Auth: genv1alpha1.ACRAuth{ServicePrincipal: &genv1alpha1.AzureACRServicePrincipalAuth{}}}},
			"spec.tenantId: required with auth.servicePrincipal: the tenant of the application\n" +
				"spec.auth.servicePrincipal.secretRef.clientId: name and key are required\n" +
				"spec.auth.servicePrincipal.secretRef.clientSecret: name and key are required"},
		{"acr registry as a URL", genv1alpha1.ACRAccessTokenKind,
			genv1alpha1.GeneratorSpec{ACRAccessTokenSpec: &genv1alpha1.ACRAccessTokenSpec{Registry: "https://example.azurecr.io/",
				Auth: genv1alpha1.ACRAuth{ManagedIdentity: &genv1alpha1.AzureACRManagedIdentityAuth{}}}},
			`spec.registry: "https://example.azurecr.io/" is not a registry host`},
		{"acr Azure Stack", genv1alpha1.ACRAccessTokenKind,
			genv1alpha1.GeneratorSpec{ACRAccessTokenSpec: &genv1alpha1.ACRAccessTokenSpec{Registry: "example.azurecr.io",
				EnvironmentType: esv1.AzureEnvironmentAzureStackCloud,
				Auth:            genv1alpha1.ACRAuth{ManagedIdentity: &genv1alpha1.AzureACRManagedIdentityAuth{}}}},
			"spec.environmentType: must be PublicCloud, USGovernmentCloud, ChinaCloud or GermanCloud"},
		{"gcr with default credentials", genv1alpha1.GCRAccessTokenKind,
			genv1alpha1.GeneratorSpec{GCRAccessTokenSpec: &genv1alpha1.GCRAccessTokenSpec{ProjectID: "p"}}, ""},
		{"gcr without project", genv1alpha1.GCRAccessTokenKind,
			genv1alpha1.GeneratorSpec{GCRAccessTokenSpec: &genv1alpha1.GCRAccessTokenSpec{}}, "spec.projectID: required"},
		{"gcr two auths, workload identity without cluster", genv1alpha1.GCRAccessTokenKind,
			genv1alpha1.GeneratorSpec{GCRAccessTokenSpec: &genv1alpha1.GCRAccessTokenSpec{ProjectID: "p", Auth: genv1alpha1.GCRAuth{
				SecretRef: &esv1.GCPSMAuthSecretRef{}, WorkloadIdentity: &genv1alpha1.GCRWorkloadIdentity{
					ServiceAccountRef: esv1.ServiceAccountSelector{Name: "sa"}}}}},
			"spec.auth: set at most one of secretRef, workloadIdentity and workloadIdentityFederation, not 2\n" +
				"spec.auth.workloadIdentity: clusterLocation and clusterName are required"},
		{"vault valid", genv1alpha1.VaultDynamicSecretKind,
			genv1alpha1.GeneratorSpec{VaultDynamicSecretSpec: &genv1alpha1.VaultDynamicSecretSpec{Path: "database/creds/app",
				Provider: &esv1.VaultProvider{Server: "http://vault:8200"}}}, ""},
		{"vault bad method and interval", genv1alpha1.VaultDynamicSecretKind,
			genv1alpha1.GeneratorSpec{VaultDynamicSecretSpec: &genv1alpha1.VaultDynamicSecretSpec{Path: "/", Method: "FETCH",
				Provider:      &esv1.VaultProvider{Server: "http://vault:8200"},
				RetrySettings: &esv1.SecretStoreRetrySettings{RetryInterval: ptr("soon")}}},
			"spec.method: must be one of"},
		{"kind Ferry does not generate", genv1alpha1.SSHKeyKind,
			genv1alpha1.GeneratorSpec{SSHKeySpec: &genv1alpha1.SSHKeySpec{KeyType: "rsa", KeySize: ptr(4096)}}, ""},
		{"wrong union field", genv1alpha1.PasswordKind,
			genv1alpha1.GeneratorSpec{UUIDSpec: &genv1alpha1.UUIDSpec{}}, "spec: required for kind Password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Generator(tt.kind, &tt.spec, "spec")
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("valid spec refused: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("accepted; want an error with %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestClusterGeneratorUnion(t *testing.T) {
	tests := []struct {
		name string
		spec genv1alpha1.ClusterGeneratorSpec
		want string
	}{
		{"matching field", genv1alpha1.ClusterGeneratorSpec{Kind: "UUID",
			Generator: genv1alpha1.GeneratorSpec{UUIDSpec: &genv1alpha1.UUIDSpec{}}}, ""},
		{"field of another kind", genv1alpha1.ClusterGeneratorSpec{Kind: "Password",
			Generator: genv1alpha1.GeneratorSpec{UUIDSpec: &genv1alpha1.UUIDSpec{}}},
			"spec.generator: kind Password needs spec.generator.passwordSpec and no other field, found [uuidSpec]"},
		{"field path in nested errors", genv1alpha1.ClusterGeneratorSpec{Kind: "Password",
			Generator: genv1alpha1.GeneratorSpec{PasswordSpec: &genv1alpha1.PasswordSpec{Length: 0}}},
			"spec.generator.passwordSpec.length: must be at least 1"},
		{"kind without its spec", genv1alpha1.ClusterGeneratorSpec{Kind: "BeyondtrustWorkloadCredentialsDynamicSecret"},
			"kind BeyondtrustWorkloadCredentialsDynamicSecret needs spec.generator.beyondtrustWorkloadCredentialsDynamicSecretSpec and no other field, found []"},
		{"kind outside ESO's list is left to the API server", genv1alpha1.ClusterGeneratorSpec{Kind: "Nope"}, ""},
		{"field of a kind Ferry does not generate", genv1alpha1.ClusterGeneratorSpec{Kind: "Password",
			Generator: genv1alpha1.GeneratorSpec{SSHKeySpec: &genv1alpha1.SSHKeySpec{}}},
			"kind Password needs spec.generator.passwordSpec and no other field, found [sshKeySpec]"},
		{"kind that calls a service, with its spec", genv1alpha1.ClusterGeneratorSpec{Kind: "SSHKey",
			Generator: genv1alpha1.GeneratorSpec{SSHKeySpec: &genv1alpha1.SSHKeySpec{KeyType: "ed25519"}}}, ""},
		{"kind that calls a service, with another kind's spec", genv1alpha1.ClusterGeneratorSpec{Kind: "Webhook",
			Generator: genv1alpha1.GeneratorSpec{UUIDSpec: &genv1alpha1.UUIDSpec{}}},
			"kind Webhook needs spec.generator.webhookSpec and no other field, found [uuidSpec]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ClusterGenerator(&tt.spec)
			if (tt.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}
