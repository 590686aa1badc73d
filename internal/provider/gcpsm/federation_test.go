package gcpsm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/testenv"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

// TestWorkloadIdentityFederation runs the operator against the in-process Google STS and
// IAM Credentials with one store per source of the subject token: each store's
// ExternalSecret gets its secret's bytes, and the exchanges STS records name the principal
// that source proves. The Kubernetes tokens are issued by the real API server and verified
// by STS with its issuer keys; the AWS subject token's signature is checked with the key.
func TestWorkloadIdentityFederation(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	oidcAudience := googleAPI.AddOIDCProvider("123456", "pool-"+ns, "kube")
	tokenAudience := "https://iam.googleapis.com/" + strings.TrimPrefix(oidcAudience, "//iam.googleapis.com/")
	// syncs makes a store of wif, an ExternalSecret of a fresh secret, and waits for the
	// secret's bytes in the target Secret.
	syncs := func(t *testing.T, name string, wif *esv1.GCPWorkloadIdentityFederation) {
		t.Helper()
		remote := "wif-" + ns + "-" + name
		seed(t, operatorSM, "projects/p", remote, conformance.Secret{Data: map[string]string{"password": "pw-" + name}})
		createFederatedStore(t, ns, name, wif)
		operatortest.Create(t, k8s, &esv1.ExternalSecret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: esv1.ExternalSecretSpec{SecretStoreRef: esv1.SecretStoreRef{Name: name}, RefreshInterval: esv1.NewDuration(time.Hour),
				Data: []esv1.ExternalSecretData{{SecretKey: "password",
					RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: remote, Property: "password"}}}},
		})
		operatortest.WaitSecretData(t, k8s, ns, name, map[string]string{"password": "pw-" + name})
	}

	// bound creates a ServiceAccount annotated with a GCP service account that its
	// federated principal may impersonate.
	bound := func(t *testing.T, name string) (gcpSA, principal string) {
		t.Helper()
		gcpSA = name + "-" + ns + "@p.iam.gserviceaccount.com"
		operatortest.Create(t, k8s, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Annotations: map[string]string{GCPServiceAccountAnnotation: gcpSA}}})
		principal = googleAPI.FederatedPrincipal(oidcAudience, tokenapi.ServiceAccountSubject(ns, name))
		googleAPI.BindPrincipal(gcpSA, principal)
		return gcpSA, principal
	}

	t.Run("ServiceAccount token, impersonating the annotated service account", func(t *testing.T) {
		gcpSA, principal := bound(t, "reader")
		syncs(t, "sa", &esv1.GCPWorkloadIdentityFederation{Audience: oidcAudience,
			ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "reader", Audiences: []string{tokenAudience}}})
		federated, impersonated := googleAPI.IssuedTo(principal), googleAPI.IssuedTo(gcpSA)
		if len(federated) != 1 || !federated[0].Claims.HasAudience(tokenAudience) || len(impersonated) != 1 {
			t.Errorf("%d STS exchanges (want 1, of a token for %s) and %d generateAccessToken (want 1)",
				len(federated), tokenAudience, len(impersonated))
		}
	})

	t.Run("tokens reused until near expiry", func(t *testing.T) {
		gcpSA, principal := bound(t, "cached")
		p := New(WithEndpoints(Endpoints{STS: googleAPI.URL + "/v1/token", IAMCredentials: googleAPI.URL, HTTPClient: tokenapi.TLSClient()}))
		store := &esv1.SecretStore{TypeMeta: metav1.TypeMeta{Kind: esv1.SecretStoreKind}, ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cached"},
			Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{GCPSM: &esv1.GCPSMProvider{ProjectID: "p",
				Auth: esv1.GCPSMAuth{WorkloadIdentityFederation: &esv1.GCPWorkloadIdentityFederation{Audience: oidcAudience,
					ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "cached", Audiences: []string{tokenAudience}}}}}}}}
		ts, err := p.TokenSource(context.Background(), StoreAccess(store), k8s, ns)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if _, err := ts.Token(); err != nil {
				t.Fatal(err)
			}
		}
		impersonated := googleAPI.IssuedTo(gcpSA)
		if got, err := ts.Token(); err != nil || len(impersonated) != 1 || got.AccessToken != impersonated[0].Token {
			t.Fatalf("token %v after %d generateAccessToken calls, want the one issued", err, len(impersonated))
		}
		if n := len(googleAPI.IssuedTo(principal)); n != 1 {
			t.Errorf("six tokens cost %d STS exchanges, want 1", n)
		}
	})

	// A token of a ServiceAccount the test owns, as an external identity provider would
	// hand out; the credential configuration reads it from a file or a URL.
	external := func(t *testing.T, name string) (token, principal string) {
		t.Helper()
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		operatortest.Create(t, k8s, sa)
		token, _, err := provider.ServiceAccountToken(context.Background(), k8s, sa, []string{tokenAudience}, 3600)
		if err != nil {
			t.Fatal(err)
		}
		return token, googleAPI.FederatedPrincipal(oidcAudience, tokenapi.ServiceAccountSubject(ns, name))
	}
	credConfig := func(t *testing.T, name string, source map[string]any) *esv1.ConfigMapReference {
		t.Helper()
		config, _ := json.Marshal(map[string]any{"type": "external_account", "audience": oidcAudience,
			"subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": "https://sts.googleapis.com/v1/token",
			"credential_source": source})
		operatortest.Create(t, k8s, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Data: map[string]string{"config.json": string(config)}})
		return &esv1.ConfigMapReference{Name: name, Key: "config.json"}
	}

	t.Run("credential configuration reading a file", func(t *testing.T) {
		token, principal := external(t, "file-idp")
		path := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
			t.Fatal(err)
		}
		syncs(t, "file", &esv1.GCPWorkloadIdentityFederation{CredConfig: credConfig(t, "file-config", map[string]any{"file": path})})
		if n := len(googleAPI.IssuedTo(principal)); n != 1 {
			t.Errorf("%d STS exchanges of the file's token, want 1", n)
		}
	})

	t.Run("credential configuration reading the externalTokenEndpoint", func(t *testing.T) {
		token, principal := external(t, "url-idp")
		var served atomic.Int32
		idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Metadata-Flavor") != "Google" {
				http.Error(w, "missing header", http.StatusForbidden)
				return
			}
			served.Add(1)
			_ = json.NewEncoder(w).Encode(map[string]string{"id_token": token})
		}))
		defer idp.Close()
		syncs(t, "url", &esv1.GCPWorkloadIdentityFederation{ExternalTokenEndpoint: idp.URL,
			CredConfig: credConfig(t, "url-config", map[string]any{"url": idp.URL, "headers": map[string]string{"Metadata-Flavor": "Google"},
				"format": map[string]string{"type": "json", "subject_token_field_name": "id_token"}})})
		if n := len(googleAPI.IssuedTo(principal)); n != 1 || served.Load() != 1 {
			t.Errorf("%d STS exchanges of the endpoint's token and %d calls to it, want 1 each", n, served.Load())
		}
	})

	t.Run("AWS access key", func(t *testing.T) {
		arn := "arn:aws:iam::123456789012:user/ferry-" + ns
		awsAudience := googleAPI.AddAWSProvider("123456", "aws-"+ns, "aws", "AKIAFERRYTEST0000001", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", arn)
		operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"}, Data: map[string][]byte{
			"aws_access_key_id": []byte("AKIAFERRYTEST0000001"), "aws_secret_access_key": []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")}})
		syncs(t, "aws", &esv1.GCPWorkloadIdentityFederation{Audience: awsAudience,
			AwsSecurityCredentials: &esv1.AwsCredentialsConfig{Region: "eu-west-1", AwsCredentialsSecretRef: esv1.SecretReference{Name: "aws"}}})
		if n := len(googleAPI.IssuedTo(googleAPI.FederatedPrincipal(awsAudience, arn))); n != 1 {
			t.Errorf("%d STS exchanges of the AWS caller, want 1", n)
		}

		// A key AWS does not know fails the store with Google's words.
		operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws-unknown"}, Data: map[string][]byte{
			"aws_access_key_id": []byte("AKIAFERRYUNKNOWN0001"), "aws_secret_access_key": []byte("unknown-secret-key-do-not-echo")}})
		store := createFederatedStore(t, ns, "aws-unknown", &esv1.GCPWorkloadIdentityFederation{Audience: awsAudience,
			AwsSecurityCredentials: &esv1.AwsCredentialsConfig{Region: "eu-west-1", AwsCredentialsSecretRef: esv1.SecretReference{Name: "aws-unknown"}}})
		c := operatortest.WaitReady(t, k8s, store, metav1.ConditionFalse)
		if !strings.Contains(c.Message, "invalid_grant: Received invalid AWS response of type InvalidClientTokenId") ||
			strings.Contains(c.Message, "unknown-secret-key-do-not-echo") {
			t.Errorf("store with an unknown AWS key: %s: %s", c.Reason, c.Message)
		}
	})

	t.Run("wrong audience", func(t *testing.T) {
		operatortest.Create(t, k8s, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lost"}})
		store := createFederatedStore(t, ns, "wrong-audience", &esv1.GCPWorkloadIdentityFederation{
			Audience:          "//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/absent/providers/kube",
			ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "lost", Audiences: []string{tokenAudience}}})
		c := operatortest.WaitReady(t, k8s, store, metav1.ConditionFalse)
		want := `the STS token exchange failed with HTTP 400: invalid_target: The target service indicated by the "audience" parameters is invalid.`
		if c.Reason != esv1.ReasonValidationFailed || !strings.Contains(c.Message, want) {
			t.Errorf("store of an unknown pool provider: %s: %s; want %s and %q", c.Reason, c.Message, esv1.ReasonValidationFailed, want)
		}
	})

	t.Run("executable credential source", func(t *testing.T) {
		store := createFederatedStore(t, ns, "executable", &esv1.GCPWorkloadIdentityFederation{
			CredConfig: credConfig(t, "exec-config", map[string]any{"executable": map[string]any{"command": "/bin/true"}})})
		c := operatortest.WaitReady(t, k8s, store, metav1.ConditionFalse)
		if !strings.Contains(c.Message, "credConfig: credential_source.executable is not served: Ferry runs no command from a ConfigMap") {
			t.Errorf("store of an executable source: %s: %s", c.Reason, c.Message)
		}
	})
}

func createFederatedStore(t *testing.T, ns, name string, wif *esv1.GCPWorkloadIdentityFederation) *esv1.SecretStore {
	t.Helper()
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{GCPSM: &esv1.GCPSMProvider{ProjectID: "p",
			Auth: esv1.GCPSMAuth{WorkloadIdentityFederation: wif}}}}}
	operatortest.Create(t, k8s, store)
	return store
}

// TestFederationFailure checks what a refused exchange says: Google's own error code and
// description, and nothing of an answer that is not Google's (a proxy's page could hold
// anything, including what was sent).
func TestFederationFailure(t *testing.T) {
	for _, tt := range []struct{ library, want string }{
		{`oauth2/google: status code 400: {"error":"invalid_grant","error_description":"The audience in ID Token [x] does not match the expected audience."}`,
			"workload identity federation: the STS token exchange failed with HTTP 400: invalid_grant: The audience in ID Token [x] does not match the expected audience."},
		{`oauth2/google: unable to generate access token: Post "https://iamcredentials/x": oauth2/google: status code 400: {"error":"invalid_target","error_description":"Unknown pool."}` + "\n",
			"workload identity federation: the STS token exchange failed with HTTP 400: invalid_target: Unknown pool."},
		{`oauth2/google: status code 403: {"error":{"code":403,"message":"Permission 'iam.serviceAccounts.getAccessToken' denied","status":"PERMISSION_DENIED"}}`,
			"workload identity federation: generateAccessToken failed with HTTP 403: PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied"},
		{`oauth2/google: status code 502: {"error":"` + tokenapi.CanaryBody + `"}`,
			"workload identity federation: the STS token exchange or generateAccessToken failed with HTTP 502"},
		{`oauth2/google/externalaccount: status code 500: token=` + tokenapi.CanaryBody,
			"workload identity federation: reading the subject token from the credential source URL failed with HTTP 500"},
		{`oauth2/google/externalaccount: failed to open credential file "/x"`,
			`workload identity federation: oauth2/google/externalaccount: failed to open credential file "/x"`},
	} {
		if got := federationFailure(errors.New(tt.library)).Error(); got != tt.want {
			t.Errorf("federationFailure(%s)\n = %s\nwant %s", tt.library, got, tt.want)
		}
	}
}

// TestCredentialConfigRefusals checks that a credential configuration that would send a
// token somewhere but Google, run a command, or use what Ferry does not serve is refused by
// name before any call.
func TestCredentialConfigRefusals(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"type": "external_account", "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/x",
			"subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": "https://sts.googleapis.com/v1/token",
			"credential_source": map[string]any{"url": "https://idp.example/token"}}
	}
	for _, tt := range []struct {
		name   string
		change func(map[string]any)
		want   string
	}{
		{"accepted", func(map[string]any) {}, ""},
		{"service account key", func(c map[string]any) { c["type"] = "service_account" },
			`credConfig: type is "service_account"; a workload identity federation configuration has type external_account`},
		{"token URL elsewhere", func(c map[string]any) { c["token_url"] = "https://sts.example/v1/token" },
			`credConfig: token_url "https://sts.example/v1/token": only https://sts.googleapis.com/v1/token is allowed`},
		{"impersonation elsewhere", func(c map[string]any) {
			c["service_account_impersonation_url"] = "https://iam.example/sa:generateAccessToken"
		},
			`credConfig: service_account_impersonation_url "https://iam.example/sa:generateAccessToken" is not`},
		{"URL not the endpoint", func(c map[string]any) { c["credential_source"] = map[string]any{"url": "https://other.example/token"} },
			`credConfig: credential_source.url "https://other.example/token" is not the store's externalTokenEndpoint "https://idp.example/token"`},
		{"executable", func(c map[string]any) {
			c["credential_source"] = map[string]any{"executable": map[string]any{"command": "/bin/sh"}}
		},
			"credConfig: credential_source.executable is not served"},
		{"EC2 metadata", func(c map[string]any) {
			c["credential_source"] = map[string]any{"environment_id": "aws1", "region_url": "http://169.254.169.254/latest/meta-data/placement/availability-zone"}
		}, "credConfig: credential_source.environment_id (AWS credentials from the EC2 metadata server) is not served by Ferry"},
		{"Ferry's own token", func(c map[string]any) { c["credential_source"] = map[string]any{"file": operatorTokenPath} },
			"credConfig: credential_source.file is Ferry's own ServiceAccount token"},
		{"no source", func(c map[string]any) { c["credential_source"] = map[string]any{} },
			"credConfig: credential_source names no file or url"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			config := base()
			tt.change(config)
			raw, _ := json.Marshal(config)
			kube := fake.NewClientBuilder().WithObjects(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "wif"},
				Data: map[string]string{"config.json": string(raw)}}).Build()
			wif := &esv1.GCPWorkloadIdentityFederation{ExternalTokenEndpoint: "https://idp.example/token",
				CredConfig: &esv1.ConfigMapReference{Name: "wif", Key: "config.json"}}
			store := gcpStore(esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{WorkloadIdentityFederation: wif}})
			_, err := readCredentialConfig(context.Background(), StoreAccess(store), kube, "apps", wif)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("readCredentialConfig = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// TestFederationMistakesAreAdmitted checks that what ESO's webhook admits (it does not look
// at workloadIdentityFederation) is admitted with a warning and reported by the store,
// while a reference into another namespace stays refused.
func TestFederationMistakesAreAdmitted(t *testing.T) {
	other := "other"
	for _, tt := range []struct {
		name     string
		wif      esv1.GCPWorkloadIdentityFederation
		admitted bool
	}{
		{"no source", esv1.GCPWorkloadIdentityFederation{Audience: "//iam.googleapis.com/projects/1/x"}, true},
		{"two sources", esv1.GCPWorkloadIdentityFederation{Audience: "//iam.googleapis.com/projects/1/x",
			ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa"}, CredConfig: &esv1.ConfigMapReference{Name: "c", Key: "k"}}, true},
		{"no audience", esv1.GCPWorkloadIdentityFederation{ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa"}}, true},
		{"audience not a pool", esv1.GCPWorkloadIdentityFederation{Audience: "my-pool", ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa"}}, true},
		{"ServiceAccount of another namespace", esv1.GCPWorkloadIdentityFederation{Audience: "//iam.googleapis.com/projects/1/x",
			ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa", Namespace: &other}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Provider{}.ValidateStore(gcpStore(esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{WorkloadIdentityFederation: &tt.wif}}))
			_, mistakes := provider.Split(err, provider.ErrFeatureNotImplemented, provider.ErrAdmittedMistake)
			if err == nil || (len(mistakes) == 0) != tt.admitted {
				t.Errorf("ValidateStore = %v; admitted with a warning: %v, want %v", err, len(mistakes) == 0, tt.admitted)
			}
		})
	}
}
