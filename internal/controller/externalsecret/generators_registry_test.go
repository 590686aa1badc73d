package externalsecret_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

// The registry generators exchange a ServiceAccount token that this package's real API
// server issues; the in-process vendor servers verify it with the API server's OIDC keys.

// kubeIssuer returns the OIDC issuer of the package's control plane.
func kubeIssuer(t *testing.T) *tokenapi.KubeIssuer {
	t.Helper()
	issuer, err := tokenapi.NewKubeIssuer(controlPlane.Config)
	if err != nil {
		t.Fatalf("reading the API server's OIDC issuer: %v", err)
	}
	return issuer
}

// serviceAccount creates a ServiceAccount in ns.
func serviceAccount(t *testing.T, ns, name string) {
	t.Helper()
	create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
}

// secretData waits until the Secret exists and returns its data.
func secretData(t *testing.T, ns, name string) map[string][]byte {
	t.Helper()
	secret := &corev1.Secret{}
	testenv.Eventually(t, 20*time.Second, "Secret "+name, func() (bool, error) {
		err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, secret)
		return err == nil, err
	})
	return secret.Data
}

// syncGenerator creates an ExternalSecret named after the generator kind/name reads, waits
// for its Ready condition to have reason, and checks that the message holds want (the
// status a service answered) and nothing of a failing service's body, and, on a failure,
// that no Secret was written.
func syncGenerator(t *testing.T, ns, kind, name, reason, want string) {
	t.Helper()
	status := corev1.ConditionFalse
	if reason == esv1.ReasonSecretSynced {
		status = corev1.ConditionTrue
	}
	es := generatorES(ns, name, kind, name, time.Hour)
	create(t, es)
	msg := waitReady(t, es, status, reason)
	if !strings.Contains(msg, want) || strings.Contains(msg, tokenapi.CanaryBody) {
		t.Errorf("message %q: want %q in it and nothing of the service's body", msg, want)
	}
	if status == corev1.ConditionFalse {
		assertNoSecret(t, ns, name)
	}
}

// syncThroughOutage creates a generator (with create) while its service fails with status,
// checks that the condition gives the status and nothing of the answer, then lets the
// service recover and waits for the retry (with backoff) to write key.
func syncThroughOutage(t *testing.T, service interface{ Fail(int) }, status int, ns, kind, name, key string, create func()) {
	t.Helper()
	service.Fail(status)
	create()
	syncGenerator(t, ns, kind, name, esv1.ReasonSecretSyncedError, fmt.Sprintf("answered %d %s", status, http.StatusText(status)))
	service.Fail(0)
	if got := secretData(t, ns, name)[key]; len(got) == 0 {
		t.Errorf("no %s after the service recovered", key)
	}
}

// assertExchanged checks that a Secret holds exactly want, written from the only token a
// server issued, and that no issued token reached the operator's logs; issued are the
// server's exchanges at the end of the test.
func assertExchanged(t *testing.T, data map[string][]byte, want map[string]string, issued []tokenapi.Exchange) {
	t.Helper()
	if len(data) != len(want) {
		t.Errorf("keys %v, want %d", keys(data), len(want))
	}
	for k, v := range want {
		if string(data[k]) != v {
			t.Errorf("%s = %q, want %q", k, data[k], v)
		}
	}
	for _, x := range issued {
		if strings.Contains(logs.String(), x.Token) {
			t.Error("an issued token reached the operator's logs")
		}
	}
}

// TestQuayAccessToken exchanges a ServiceAccount token for a Quay robot token and writes
// the registry, the Docker auth of the robot and the expiry; Quay's refusals and failures
// reach the condition with their status, nothing else of the answer.
func TestQuayAccessToken(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	issuer := kubeIssuer(t)
	serviceAccount(t, ns, "puller")
	serviceAccount(t, ns, "stranger")
	quay := tokenapi.NewQuay(issuer, map[string][]tokenapi.QuayFederation{
		"org+ferry": {{Issuer: issuer.Issuer, Subject: tokenapi.ServiceAccountSubject(ns, "puller")}},
	})
	defer quay.Close()
	quayGenerator := func(name, sa string, saNamespace *string) {
		create(t, &genv1alpha1.QuayAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: genv1alpha1.QuayAccessTokenSpec{URL: "https://" + quay.Host, RobotAccount: "org+ferry",
				ServiceAccountRef: esv1.ServiceAccountSelector{Name: sa, Namespace: saNamespace, Audiences: []string{"quay.example"}}}})
	}

	quayGenerator("pull", "puller", nil)
	syncGenerator(t, ns, genv1alpha1.QuayAccessTokenKind, "pull", esv1.ReasonSecretSynced, "")
	data := secretData(t, ns, "pull")
	exchanges := quay.Exchanges()
	if len(exchanges) != 1 {
		t.Fatalf("%d exchanges at Quay, want 1 for one sync", len(exchanges))
	}
	x := exchanges[0]
	if x.Claims.Subject != tokenapi.ServiceAccountSubject(ns, "puller") || !x.Claims.HasAudience("quay.example") {
		t.Errorf("Quay received a token of %s for %v; want puller's, for quay.example", x.Claims.Subject, x.Claims.Audience)
	}

	t.Run("robot not federated with this ServiceAccount", func(t *testing.T) {
		quayGenerator("stranger", "stranger", nil)
		syncGenerator(t, ns, genv1alpha1.QuayAccessTokenKind, "stranger", esv1.ReasonSecretSyncedError,
			"/oauth2/federation/robot/token: answered 401 Unauthorized: Token does not match robot")
	})
	t.Run("Quay failing, then back", func(t *testing.T) {
		syncThroughOutage(t, quay, http.StatusServiceUnavailable, ns, genv1alpha1.QuayAccessTokenKind, "down", "auth",
			func() { quayGenerator("down", "puller", nil) })
	})
	t.Run("ServiceAccount of another namespace", func(t *testing.T) {
		other := "kube-system"
		quayGenerator("elsewhere", "default", &other)
		syncGenerator(t, ns, genv1alpha1.QuayAccessTokenKind, "elsewhere", esv1.ReasonInvalidSpec,
			"spec.serviceAccountRef.namespace: a generator requests tokens for ServiceAccounts only in the namespace")
	})
	if n := len(quay.Exchanges()); n != 2 {
		t.Errorf("%d robot tokens issued, want 2 (the first sync and the recovered one)", n)
	}
	assertExchanged(t, data, map[string]string{
		"registry": quay.Host,
		"auth":     base64.StdEncoding.EncodeToString([]byte("org+ferry:" + x.Token)),
		"expiry":   strconv.FormatInt(x.Expiry.Unix(), 10),
	}, quay.Exchanges())
}

// TestCloudsmithAccessToken exchanges a ServiceAccount token at Cloudsmith's OIDC endpoint
// for a service account's token and writes its Docker auth and expiry; Cloudsmith's
// refusals and failures reach the condition with their status, nothing else of the answer.
func TestCloudsmithAccessToken(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	issuer := kubeIssuer(t)
	serviceAccount(t, ns, "builder")
	cloudsmith := tokenapi.NewCloudsmith(issuer, map[string]map[string]tokenapi.CloudsmithService{
		"acme": {"ci-robot": {Issuer: issuer.Issuer, RequiredClaims: map[string]string{
			"sub": tokenapi.ServiceAccountSubject(ns, "builder"), "aud": "https://api.cloudsmith.io"}}},
	})
	defer cloudsmith.Close()
	cloudsmithGenerator := func(name, org, serviceSlug, audience string) {
		create(t, &genv1alpha1.CloudsmithAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: genv1alpha1.CloudsmithAccessTokenSpec{APIURL: cloudsmith.URL + "/", OrgSlug: org, ServiceSlug: serviceSlug,
				ServiceAccountRef: esv1.ServiceAccountSelector{Name: "builder", Audiences: []string{audience}}}})
	}

	cloudsmithGenerator("push", "acme", "ci-robot", "https://api.cloudsmith.io")
	syncGenerator(t, ns, genv1alpha1.CloudsmithAccessTokenKind, "push", esv1.ReasonSecretSynced, "")
	data := secretData(t, ns, "push")
	exchanges := cloudsmith.Exchanges()
	if len(exchanges) != 1 || exchanges[0].Principal != "ci-robot" {
		t.Fatalf("%d exchanges at Cloudsmith, want 1 for ci-robot, for one sync", len(exchanges))
	}
	x := exchanges[0]

	t.Run("token for another audience", func(t *testing.T) {
		cloudsmithGenerator("wrong-audience", "acme", "ci-robot", "sts.amazonaws.com")
		syncGenerator(t, ns, genv1alpha1.CloudsmithAccessTokenKind, "wrong-audience", esv1.ReasonSecretSyncedError,
			"/openid/acme/: answered 401 Unauthorized: OIDC token cannot be authenticated.")
	})
	t.Run("unknown organization", func(t *testing.T) {
		cloudsmithGenerator("nowhere", "umbrella", "ci-robot", "https://api.cloudsmith.io")
		syncGenerator(t, ns, genv1alpha1.CloudsmithAccessTokenKind, "nowhere", esv1.ReasonSecretSyncedError, "answered 404 Not Found")
	})
	t.Run("Cloudsmith failing, then back", func(t *testing.T) {
		syncThroughOutage(t, cloudsmith, http.StatusBadGateway, ns, genv1alpha1.CloudsmithAccessTokenKind, "down", "auth",
			func() { cloudsmithGenerator("down", "acme", "ci-robot", "https://api.cloudsmith.io") })
	})
	t.Run("spec without serviceSlug", func(t *testing.T) {
		cloudsmithGenerator("incomplete", "acme", "", "https://api.cloudsmith.io")
		syncGenerator(t, ns, genv1alpha1.CloudsmithAccessTokenKind, "incomplete", esv1.ReasonInvalidSpec, "spec.serviceSlug: required")
	})
	if n := len(cloudsmith.Exchanges()); n != 2 {
		t.Errorf("%d Cloudsmith tokens issued, want 2 (the first sync and the recovered one)", n)
	}
	assertExchanged(t, data, map[string]string{
		"auth":   base64.StdEncoding.EncodeToString([]byte("token:" + x.Token)),
		"expiry": strconv.FormatInt(x.Expiry.Unix(), 10),
	}, cloudsmith.Exchanges())
}

// TestACRAccessToken logs in to Entra ID as a service principal or with workload identity
// (a ServiceAccount token the in-process tenant verifies with the API server's keys), trades
// the Entra ID token for an ACR refresh token, and, with a scope, that for an access token;
// Entra ID's and ACR's refusals reach the condition with their status and message only.
func TestACRAccessToken(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	spID, wiID := "sp-"+ns, "wi-"+ns
	entra.Register(spID, tokenapi.EntraApp{ClientSecret: "sp-secret"})
	entra.Register(wiID, tokenapi.EntraApp{FederatedSubject: tokenapi.ServiceAccountSubject(ns, "acr-puller")})
	entra.Register("norole-"+ns, tokenapi.EntraApp{ClientSecret: "sp-secret"})
	miID := "mi-" + ns
	acr := tokenapi.NewACR(entra, spID, wiID, miID)
	defer acr.Close()
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "azure"}, Data: map[string][]byte{
		"id": []byte(spID), "secret": []byte("sp-secret"), "wrong": []byte("not-the-secret"), "norole": []byte("norole-" + ns)}})
	create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acr-puller",
		Annotations: map[string]string{"azure.workload.identity/client-id": wiID}}})
	servicePrincipal := func(name, idKey, secretKey, scope string) {
		create(t, &genv1alpha1.ACRAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: genv1alpha1.ACRAccessTokenSpec{Registry: acr.Host, TenantID: entra.Tenant, Scope: scope,
				Auth: genv1alpha1.ACRAuth{ServicePrincipal: &genv1alpha1.AzureACRServicePrincipalAuth{
					SecretRef: genv1alpha1.AzureACRServicePrincipalAuthSecretRef{
						ClientID: esv1.SecretKeySelector{Name: "azure", Key: idKey}, ClientSecret: esv1.SecretKeySelector{Name: "azure", Key: secretKey}}}}}})
	}

	servicePrincipal("sp", "id", "secret", "")
	syncGenerator(t, ns, genv1alpha1.ACRAccessTokenKind, "sp", esv1.ReasonSecretSynced, "")
	spData := secretData(t, ns, "sp")
	issued := acr.Exchanges()
	if len(issued) != 1 || issued[0].Principal != spID {
		t.Fatalf("%d ACR tokens issued, want 1 refresh token for the service principal for one sync", len(issued))
	}
	assertExchanged(t, spData, map[string]string{"username": "00000000-0000-0000-0000-000000000000", "password": issued[0].Token}, nil)

	t.Run("workload identity with a scope", func(t *testing.T) {
		create(t, &genv1alpha1.ACRAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wi"},
			Spec: genv1alpha1.ACRAccessTokenSpec{Registry: acr.Host, TenantID: entra.Tenant, Scope: "repository:app:pull",
				Auth: genv1alpha1.ACRAuth{WorkloadIdentity: &genv1alpha1.AzureACRWorkloadIdentityAuth{
					ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "acr-puller"}}}}})
		syncGenerator(t, ns, genv1alpha1.ACRAccessTokenKind, "wi", esv1.ReasonSecretSynced, "")
		data := secretData(t, ns, "wi")
		issued := acr.Exchanges()
		if len(issued) != 3 || issued[1].Principal != wiID || issued[2].Principal != wiID {
			t.Fatalf("%d ACR tokens issued, want a refresh and an access token more, for the workload identity", len(issued))
		}
		assertExchanged(t, data, map[string]string{"username": "00000000-0000-0000-0000-000000000000", "password": issued[2].Token}, nil)
		var login *tokenapi.Exchange
		for _, x := range entra.Exchanges() {
			if x.Principal == wiID {
				login = &x
			}
		}
		if login == nil || login.Claims.Subject != tokenapi.ServiceAccountSubject(ns, "acr-puller") ||
			!login.Claims.HasAudience("api://AzureADTokenExchange") {
			t.Errorf("Entra ID did not log the workload identity in with acr-puller's token for api://AzureADTokenExchange: %+v", login)
		}
	})
	t.Run("managed identity", func(t *testing.T) {
		// An App Service host's managed identity endpoint, which the SDK finds through these
		// variables; the operator runs in this process, so it reads them.
		t.Setenv("IDENTITY_ENDPOINT", entra.URL+"msi/token")
		t.Setenv("IDENTITY_HEADER", tokenapi.ManagedIdentityHeader)
		create(t, &genv1alpha1.ACRAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "mi"},
			Spec: genv1alpha1.ACRAccessTokenSpec{Registry: acr.Host, TenantID: entra.Tenant,
				Auth: genv1alpha1.ACRAuth{ManagedIdentity: &genv1alpha1.AzureACRManagedIdentityAuth{IdentityID: miID}}}})
		syncGenerator(t, ns, genv1alpha1.ACRAccessTokenKind, "mi", esv1.ReasonSecretSynced, "")
		issued := acr.Exchanges()
		if last := issued[len(issued)-1]; last.Principal != miID || string(secretData(t, ns, "mi")["password"]) != last.Token {
			t.Errorf("the registry's last token went to %s, want the managed identity's, in the Secret", last.Principal)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		servicePrincipal("wrong-secret", "id", "wrong", "")
		syncGenerator(t, ns, genv1alpha1.ACRAccessTokenKind, "wrong-secret", esv1.ReasonSecretSyncedError,
			"/ferry-tenant/oauth2/v2.0/token: answered 401 Unauthorized: AADSTS7000215: Invalid client secret provided.")
	})
	t.Run("principal without a role on the registry", func(t *testing.T) {
		servicePrincipal("norole", "norole", "secret", "")
		syncGenerator(t, ns, genv1alpha1.ACRAccessTokenKind, "norole", esv1.ReasonSecretSyncedError,
			"/oauth2/exchange: answered 401 Unauthorized: the principal has no role on the registry")
	})
	t.Run("registry failing, then back", func(t *testing.T) {
		syncThroughOutage(t, acr, http.StatusServiceUnavailable, ns, genv1alpha1.ACRAccessTokenKind, "down", "password",
			func() { servicePrincipal("down", "id", "secret", "repository:app:pull") })
	})
	t.Run("Secret of another namespace", func(t *testing.T) {
		other := "kube-system"
		create(t, &genv1alpha1.ACRAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "elsewhere"},
			Spec: genv1alpha1.ACRAccessTokenSpec{Registry: acr.Host, TenantID: entra.Tenant,
				Auth: genv1alpha1.ACRAuth{ServicePrincipal: &genv1alpha1.AzureACRServicePrincipalAuth{
					SecretRef: genv1alpha1.AzureACRServicePrincipalAuthSecretRef{
						ClientID:     esv1.SecretKeySelector{Name: "azure", Key: "id", Namespace: &other},
						ClientSecret: esv1.SecretKeySelector{Name: "azure", Key: "secret"}}}}}})
		syncGenerator(t, ns, genv1alpha1.ACRAccessTokenKind, "elsewhere", esv1.ReasonInvalidSpec,
			"spec.auth.servicePrincipal.secretRef.clientId.namespace: a generator reads only in the namespace of the object that uses it")
	})
	if n := len(acr.Exchanges()); n != 6 {
		t.Errorf("%d ACR tokens issued, want 6 (1 + 2 for the scoped one + 1 for the managed identity + 2 once the registry recovered)", n)
	}
	assertExchanged(t, nil, nil, append(acr.Exchanges(), entra.Exchanges()...))
}

// TestGCRAccessToken obtains Google access tokens with a service account key (the JWT
// bearer grant at the key's token_uri) and with GKE workload identity (a ServiceAccount
// token exchanged at STS, then generateAccessToken for the bound GCP service account), and
// writes the registry login; Google's refusals and failures reach the condition with their
// status only.
func TestGCRAccessToken(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	keyAccount, wiAccount := "key-"+ns+"@ferry-project.iam.gserviceaccount.com", "wi-"+ns+"@ferry-project.iam.gserviceaccount.com"
	googleAPI.Bind(wiAccount, ns, "gcr-puller")
	// A key of the same account that Google does not know, with the same token_uri.
	unknownKey := tokenapi.NewGoogle(nil, "ferry-project", "x", "y")
	foreignKey := bytes.ReplaceAll(unknownKey.ServiceAccountKey(keyAccount), []byte(unknownKey.URL), []byte(googleAPI.URL))
	unknownKey.Close()
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gcp"}, Data: map[string][]byte{
		"sa.json": googleAPI.ServiceAccountKey(keyAccount), "foreign.json": foreignKey}})
	for name, gcpSA := range map[string]string{"gcr-puller": wiAccount, "unbound": "unbound@ferry-project.iam.gserviceaccount.com"} {
		create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			Annotations: map[string]string{"iam.gke.io/gcp-service-account": gcpSA}}})
	}
	withKey := func(name, key string) {
		create(t, &genv1alpha1.GCRAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: genv1alpha1.GCRAccessTokenSpec{ProjectID: "ferry-project", Auth: genv1alpha1.GCRAuth{
				SecretRef: &esv1.GCPSMAuthSecretRef{SecretAccessKey: esv1.SecretKeySelector{Name: "gcp", Key: key}}}}})
	}
	withWorkloadIdentity := func(name, sa string) {
		create(t, &genv1alpha1.GCRAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: genv1alpha1.GCRAccessTokenSpec{ProjectID: "ferry-project", Auth: genv1alpha1.GCRAuth{
				WorkloadIdentity: &genv1alpha1.GCRWorkloadIdentity{ServiceAccountRef: esv1.ServiceAccountSelector{Name: sa},
					ClusterLocation: "europe-west1", ClusterName: "test"}}}})
	}
	issuedTo := googleAPI.IssuedTo

	withKey("key", "sa.json")
	syncGenerator(t, ns, genv1alpha1.GCRAccessTokenKind, "key", esv1.ReasonSecretSynced, "")
	data := secretData(t, ns, "key")
	issued := issuedTo(keyAccount)
	if len(issued) != 1 {
		t.Fatalf("%d tokens issued to the key's account, want 1 for one sync", len(issued))
	}
	expiry, _ := strconv.ParseInt(string(data["expiry"]), 10, 64)
	if left := time.Until(time.Unix(expiry, 0)); left < 58*time.Minute || left > time.Hour {
		t.Errorf("expiry %s away, want the hour Google grants", left)
	}
	assertExchanged(t, data, map[string]string{"username": "oauth2accesstoken", "password": issued[0].Token,
		"expiry": string(data["expiry"])}, nil)

	t.Run("workload identity", func(t *testing.T) {
		withWorkloadIdentity("wi", "gcr-puller")
		syncGenerator(t, ns, genv1alpha1.GCRAccessTokenKind, "wi", esv1.ReasonSecretSynced, "")
		data := secretData(t, ns, "wi")
		federated, impersonated := issuedTo("principal:"+tokenapi.ServiceAccountSubject(ns, "gcr-puller")), issuedTo(wiAccount)
		if len(federated) != 1 || !federated[0].Claims.HasAudience(googleAPI.Pool()) || len(impersonated) != 1 {
			t.Fatalf("%d STS exchanges (want 1, of a token for the pool) and %d generateAccessToken (want 1)", len(federated), len(impersonated))
		}
		assertExchanged(t, data, map[string]string{"username": "oauth2accesstoken", "password": impersonated[0].Token,
			"expiry": strconv.FormatInt(impersonated[0].Expiry.Unix(), 10)}, nil)
	})
	t.Run("ServiceAccount not bound to its GCP service account", func(t *testing.T) {
		withWorkloadIdentity("unbound", "unbound")
		syncGenerator(t, ns, genv1alpha1.GCRAccessTokenKind, "unbound", esv1.ReasonSecretSyncedError,
			"generateAccessToken for unbound@ferry-project.iam.gserviceaccount.com failed with HTTP 403")
	})
	t.Run("key Google does not know", func(t *testing.T) {
		withKey("foreign", "foreign.json")
		syncGenerator(t, ns, genv1alpha1.GCRAccessTokenKind, "foreign", esv1.ReasonSecretSyncedError,
			"/token: answered 400 Bad Request: Invalid JWT Signature.")
	})
	t.Run("Google failing, then back", func(t *testing.T) {
		syncThroughOutage(t, googleAPI, http.StatusInternalServerError, ns, genv1alpha1.GCRAccessTokenKind, "down", "password",
			func() { withKey("down", "sa.json") })
	})
	t.Run("Ferry's own default credentials", func(t *testing.T) {
		// GOOGLE_APPLICATION_CREDENTIALS is the first place Application Default Credentials
		// look; the operator runs in this process, so it reads this key.
		adcAccount := "adc-" + ns + "@ferry-project.iam.gserviceaccount.com"
		keyFile := filepath.Join(t.TempDir(), "key.json")
		if err := os.WriteFile(keyFile, googleAPI.ServiceAccountKey(adcAccount), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", keyFile)
		create(t, &genv1alpha1.GCRAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "adc"},
			Spec: genv1alpha1.GCRAccessTokenSpec{ProjectID: "ferry-project"}})
		syncGenerator(t, ns, genv1alpha1.GCRAccessTokenKind, "adc", esv1.ReasonSecretSynced, "")
		issued := issuedTo(adcAccount)
		if len(issued) != 1 || string(secretData(t, ns, "adc")["password"]) != issued[0].Token {
			t.Errorf("%d tokens issued to the default credentials' account, want 1, in the Secret", len(issued))
		}
	})
	t.Run("workload identity federation", func(t *testing.T) {
		// The ServiceAccount's token is exchanged at a workload identity pool, and the
		// federated token for the access token of the service account the spec names.
		audience := googleAPI.AddOIDCProvider("987654", "gcr-"+ns, "kube")
		tokenAudience := "https://iam.googleapis.com/" + strings.TrimPrefix(audience, "//iam.googleapis.com/")
		wifAccount := "wif-" + ns + "@ferry-project.iam.gserviceaccount.com"
		create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wif-puller"}})
		principal := googleAPI.FederatedPrincipal(audience, tokenapi.ServiceAccountSubject(ns, "wif-puller"))
		googleAPI.BindPrincipal(wifAccount, principal)
		withFederation := func(name, audience string) {
			create(t, &genv1alpha1.GCRAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				Spec: genv1alpha1.GCRAccessTokenSpec{ProjectID: "ferry-project", Auth: genv1alpha1.GCRAuth{
					WorkloadIdentityFederation: &esv1.GCPWorkloadIdentityFederation{Audience: audience, GCPServiceAccountEmail: wifAccount,
						ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "wif-puller", Audiences: []string{tokenAudience}}}}}})
		}
		withFederation("wif", audience)
		syncGenerator(t, ns, genv1alpha1.GCRAccessTokenKind, "wif", esv1.ReasonSecretSynced, "")
		data := secretData(t, ns, "wif")
		federated, impersonated := issuedTo(principal), issuedTo(wifAccount)
		if len(federated) != 1 || !federated[0].Claims.HasAudience(tokenAudience) || len(impersonated) != 1 {
			t.Fatalf("%d STS exchanges (want 1, of a token for the pool provider) and %d generateAccessToken (want 1)", len(federated), len(impersonated))
		}
		assertExchanged(t, data, map[string]string{"username": "oauth2accesstoken", "password": impersonated[0].Token,
			"expiry": strconv.FormatInt(impersonated[0].Expiry.Unix(), 10)}, nil)

		withFederation("wif-unknown-pool", strings.Replace(audience, "/providers/kube", "/providers/absent", 1))
		syncGenerator(t, ns, genv1alpha1.GCRAccessTokenKind, "wif-unknown-pool", esv1.ReasonSecretSyncedError,
			`the STS token exchange failed with HTTP 400: invalid_target: The target service indicated by the "audience" parameters is invalid.`)
	})
	if n := len(issuedTo(keyAccount)); n != 2 {
		t.Errorf("%d tokens issued to the key's account, want 2 (the first sync and the recovered one)", n)
	}
	assertExchanged(t, nil, nil, googleAPI.Exchanges())
}
