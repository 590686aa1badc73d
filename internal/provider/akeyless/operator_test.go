package akeyless

import (
	"context"
	"strings"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

// TestThroughTheOperator runs Akeyless SecretStores and ExternalSecrets through a Ferry
// operator on a real kube-apiserver, against the in-process Akeyless API: a store logging
// in with an access key and one logging in with a token the kube-apiserver issues for its
// ServiceAccount (TokenRequest) become Ready and their ExternalSecrets write the bytes
// they read; a store with a wrong access key reports ValidationFailed in Akeyless's words
// without the key, and one with an access type Akeyless's provider has not names the field.
// A PushSecret creates a tagged static secret and deletes it with itself, and leaves an
// item without the tag alone. The in-process Akeyless learns the ServiceAccount token's
// subject with a TokenReview, as the gateway's Kubernetes auth config does.
func TestThroughTheOperator(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/apps/db", `{"user":"admin","password":"pw-1"}`)
	f.PutObject("/apps/db-dynamic", typeDynamic, map[string]any{"user": "tmp", "password": "tmp-pw"})
	ns := testenv.Namespace(t, k8s, nil)
	f.K8sSubject = "system:serviceaccount:" + ns + ":akeyless-reader"
	f.ReviewK8s = tokenReview(t)

	creds := credsSecret(ns, f.AccessID, "api_key", f.AccessKey)
	operatortest.Create(t, k8s, creds)
	apiKey := akeylessStore(f.URL, credsAuth())
	apiKey.Namespace = ns
	operatortest.Create(t, k8s, apiKey)
	operatortest.WaitReady(t, k8s, apiKey, metav1.ConditionTrue)

	operatortest.Create(t, k8s, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "akeyless-reader"}})
	k8sAuth := akeylessStore(f.URL, esv1.AkeylessAuthSecretRef{KubernetesAuth: &esv1.AkeylessKubernetesAuth{
		AccessID: f.K8sAccessID, K8sConfName: f.K8sConf, ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "akeyless-reader"}}})
	k8sAuth.Name, k8sAuth.Namespace = "akeyless-k8s", ns
	operatortest.Create(t, k8s, k8sAuth)
	operatortest.WaitReady(t, k8s, k8sAuth, metav1.ConditionTrue)

	read := func(name, store string, data ...esv1.ExternalSecretData) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: esv1.ExternalSecretSpec{
			SecretStoreRef: esv1.SecretStoreRef{Name: store, Kind: esv1.SecretStoreKind}, RefreshInterval: esv1.NewDuration(time.Hour),
			Data: data}}
	}
	operatortest.Create(t, k8s, read("by-key", apiKey.Name,
		esv1.ExternalSecretData{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "/apps/db", Property: "user"}},
		esv1.ExternalSecretData{SecretKey: "dynamic", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "/apps/db-dynamic", Property: "password"}}))
	operatortest.Create(t, k8s, read("by-k8s", k8sAuth.Name,
		esv1.ExternalSecretData{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "/apps/db", Property: "password"}}))
	operatortest.WaitSecretData(t, k8s, ns, "by-key", map[string]string{"user": "admin", "dynamic": "tmp-pw"})
	operatortest.WaitSecretData(t, k8s, ns, "by-k8s", map[string]string{"password": "pw-1"})

	for _, tt := range []struct{ name, accessType, param, want string }{
		{"akeyless-wrong-key", "api_key", "not-the-access-key", "failed to authenticate"},
		{"akeyless-unknown-type", "universal_identity", "", `spec.provider.akeyless.authSecretRef.secretRef.accessType: "universal_identity" is not an access type`},
	} {
		secret := credsSecret(ns, f.AccessID, tt.accessType, tt.param)
		secret.Name = tt.name
		operatortest.Create(t, k8s, secret)
		auth := credsAuth()
		auth.SecretRef.AccessID.Name, auth.SecretRef.AccessType.Name, auth.SecretRef.AccessTypeParam.Name = tt.name, tt.name, tt.name
		store := akeylessStore(f.URL, auth)
		store.Name, store.Namespace = tt.name, ns
		operatortest.Create(t, k8s, store)
		c := operatortest.WaitReady(t, k8s, store, metav1.ConditionFalse)
		if c.Reason != esv1.ReasonValidationFailed || !strings.Contains(c.Message, tt.want) || strings.Contains(c.Message, "not-the-access-key") {
			t.Errorf("store %s is %s: %q, want ValidationFailed saying %q", tt.name, c.Reason, c.Message, tt.want)
		}
	}
	operatortest.WaitNotSynced(t, k8s, read("on-wrong-key", "akeyless-wrong-key",
		esv1.ExternalSecretData{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "/apps/db", Property: "user"}}))

	// PushSecret: a new static secret tagged as ESO tags it; an item without the tag is
	// refused and survives the PushSecret's deletion.
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("pushed-value")}})
	ours := operatortest.PushSecret(ns, "ours", apiKey.Name, "source", "token", "/apps/pushed")
	operatortest.Create(t, k8s, ours)
	operatortest.WaitReady(t, k8s, ours, metav1.ConditionTrue)
	if got := f.Versions("/apps/pushed"); len(got) != 1 || got[0] != "pushed-value" {
		t.Errorf("pushed item versions = %q, want the value once", got)
	}
	theirs := operatortest.PushSecret(ns, "theirs", apiKey.Name, "source", "token", "/apps/db")
	operatortest.Create(t, k8s, theirs)
	if msg := operatortest.WaitReady(t, k8s, theirs, metav1.ConditionFalse).Message; !strings.Contains(msg, "was not created by Ferry") {
		t.Errorf("the refused push says %q, want the reason", msg)
	}
	operatortest.WaitGone(t, k8s, ours)
	if f.Versions("/apps/pushed") != nil {
		t.Error("deleting the PushSecret did not delete the item it pushed")
	}
	operatortest.WaitGone(t, k8s, theirs)
	if got := f.Versions("/apps/db"); len(got) != 1 {
		t.Errorf("an item Ferry did not create was changed or deleted: %d versions", len(got))
	}
}

// tokenReview returns the subject of a ServiceAccount token the control plane
// authenticates, as an Akeyless gateway's Kubernetes auth config asks it.
func tokenReview(t *testing.T) func(string) (string, bool) {
	return func(token string) (string, bool) {
		review := &authv1.TokenReview{Spec: authv1.TokenReviewSpec{Token: token}}
		if err := k8s.Create(context.Background(), review); err != nil {
			t.Errorf("TokenReview: %v", err)
			return "", false
		}
		return review.Status.User.Username, review.Status.Authenticated
	}
}

// TestAzureWorkloadIdentity: azure_ad with authSecretRef.serviceAccountRef trades a token
// the kube-apiserver issues for the ServiceAccount (audience api://AzureADTokenExchange)
// with Entra ID, for the token of the application the ServiceAccount's annotations name,
// and logs in with it; Entra ID verifies the ServiceAccount token with the cluster's issuer
// keys. A ServiceAccount without a federated credential is refused with Entra ID's reason,
// and one without the annotation is named with what to set.
func TestAzureWorkloadIdentity(t *testing.T) {
	issuer, err := tokenapi.NewKubeIssuer(restConfig)
	if err != nil {
		t.Fatal(err)
	}
	entra := tokenapi.NewEntraID(issuer, "ferry-tenant")
	t.Cleanup(entra.Close)
	ns := testenv.Namespace(t, k8s, nil)
	entra.Register("akeyless-app", tokenapi.EntraApp{FederatedSubject: tokenapi.ServiceAccountSubject(ns, "akeyless-azure")})
	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	f.AzureApp = "akeyless-app"
	f.EntraApp = func(token string) (string, bool) {
		for _, e := range entra.Exchanges() {
			if e.Token == token {
				return e.Principal, true
			}
		}
		return "", false
	}
	annotations := map[string]string{"azure.workload.identity/client-id": "akeyless-app", "azure.workload.identity/tenant-id": "ferry-tenant"}
	for _, name := range []string{"akeyless-azure", "akeyless-other"} {
		operatortest.Create(t, k8s, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations}})
	}
	operatortest.Create(t, k8s, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "akeyless-plain"}})
	operatortest.Create(t, k8s, credsSecret(ns, f.AzureAccessID, "azure_ad", ""))
	p := &Provider{entraAuthority: entra.URL, entraHTTP: tokenapi.TLSClient()}
	for _, tt := range []struct{ serviceAccount, want string }{
		{"akeyless-azure", ""},
		{"akeyless-other", "AADSTS700213"},
	} {
		auth := credsAuth()
		auth.ServiceAccountRef = &esv1.ServiceAccountSelector{Name: tt.serviceAccount}
		store := akeylessStore(f.URL, auth)
		store.Namespace = ns
		c, err := p.NewClient(context.Background(), store, k8s, ns)
		if err != nil {
			t.Fatalf("%s: NewClient: %v", tt.serviceAccount, err)
		}
		got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/a"})
		switch {
		case tt.want == "" && (err != nil || string(got) != "v"):
			t.Errorf("%s: GetSecret = %q, %v", tt.serviceAccount, got, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: GetSecret = %v, want Entra ID's refusal %s", tt.serviceAccount, err, tt.want)
		}
	}
	if n := len(entra.Exchanges()); n != 1 {
		t.Errorf("Entra ID issued %d tokens, want 1", n)
	}
	auth := credsAuth()
	auth.ServiceAccountRef = &esv1.ServiceAccountSelector{Name: "akeyless-plain"}
	store := akeylessStore(f.URL, auth)
	store.Namespace = ns
	if _, err := p.NewClient(context.Background(), store, k8s, ns); err == nil ||
		!strings.Contains(err.Error(), "authSecretRef.serviceAccountRef: azure_ad needs the Entra ID application's client id") {
		t.Errorf("NewClient with a ServiceAccount without annotations = %v, want the client id asked for", err)
	}
}
