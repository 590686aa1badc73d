package externalsecret_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

// TestBeyondtrustWorkloadCredentialsDynamicSecret generates credentials from a server
// speaking BeyondTrust's Secrets API over TLS, trusted only through the generator's
// caBundle or caProvider (the operator's own client does not trust it), and checks the
// Secret's bytes against what the server issued, and the refusals' conditions.
func TestBeyondtrustWorkloadCredentialsDynamicSecret(t *testing.T) {
	const siteID, apiKey = "0f3c6a52-8d7e-4b1a-9c2d-5e6f7a8b9c0d", "pat-ferry-test-5e1d"
	server := tokenapi.NewBeyondtrust(siteID, apiKey, map[string]bool{"apps/aws/deploy": true, "top": false})
	defer server.Close()
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bt"}, Data: map[string][]byte{"token": []byte(apiKey)}})
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bt-old"}, Data: map[string][]byte{"token": []byte("pat-revoked-77aa")}})
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bt-ca"}, Data: map[string]string{"ca.crt": string(server.CAPEM)}})
	generatorOf := func(name, folderPath, tokenSecret string, ca func(*genv1alpha1.BeyondtrustWorkloadCredentialsProvider)) {
		p := genv1alpha1.BeyondtrustWorkloadCredentialsProvider{
			Server:     genv1alpha1.BeyondtrustWorkloadCredentialsServer{APIURL: server.URL, SiteID: siteID},
			Auth:       genv1alpha1.BeyondtrustWorkloadCredentialsAuth{APIKey: genv1alpha1.BeyondtrustWorkloadCredentialsAPIKey{Token: esv1.SecretKeySelector{Name: tokenSecret, Key: "token"}}},
			FolderPath: folderPath,
		}
		if ca != nil {
			ca(&p)
		}
		create(t, &genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretSpec{Provider: p}})
	}
	caBundle := func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) { p.CABundle = server.CAPEM }
	kind := genv1alpha1.BeyondtrustWorkloadCredentialsDynamicSecretKind

	t.Run("caBundle, definition in a folder", func(t *testing.T) {
		generatorOf("deploy", "apps/aws/deploy", "bt", caBundle)
		syncGenerator(t, ns, kind, "deploy", esv1.ReasonSecretSynced, "")
		c := lastIssued(t, server, "apps/aws/deploy")
		assertExchanged(t, secretData(t, ns, "deploy"), map[string]string{"accessKeyId": c.AccessKeyID,
			"secretAccessKey": c.SecretAccessKey, "sessionToken": c.SessionToken, "leaseId": c.LeaseID, "expiration": c.Expiration}, nil)
	})
	t.Run("caProvider ConfigMap, definition at the top, no session token", func(t *testing.T) {
		generatorOf("top", "top", "bt", func(p *genv1alpha1.BeyondtrustWorkloadCredentialsProvider) {
			p.CAProvider = &esv1.CAProvider{Type: esv1.CAProviderTypeConfigMap, Name: "bt-ca", Key: "ca.crt"}
		})
		syncGenerator(t, ns, kind, "top", esv1.ReasonSecretSynced, "")
		c := lastIssued(t, server, "top")
		assertExchanged(t, secretData(t, ns, "top"), map[string]string{"accessKeyId": c.AccessKeyID,
			"secretAccessKey": c.SecretAccessKey, "leaseId": c.LeaseID, "expiration": c.Expiration}, nil)
	})
	t.Run("server not trusted without a CA", func(t *testing.T) {
		generatorOf("untrusted", "top", "bt", nil)
		syncGenerator(t, ns, kind, "untrusted", esv1.ReasonSecretSyncedError, "certificate signed by unknown authority")
	})
	t.Run("API key refused", func(t *testing.T) {
		generatorOf("revoked", "top", "bt-old", caBundle)
		syncGenerator(t, ns, kind, "revoked", esv1.ReasonSecretSyncedError, "answered 401 Unauthorized: invalid or missing bearer token")
	})
	t.Run("unknown definition", func(t *testing.T) {
		generatorOf("missing", "apps/aws/nothing", "bt", caBundle)
		syncGenerator(t, ns, kind, "missing", esv1.ReasonSecretSyncedError, "answered 404 Not Found")
	})
	t.Run("invalid spec", func(t *testing.T) {
		generatorOf("folder-only", "apps/aws/", "bt", caBundle)
		syncGenerator(t, ns, kind, "folder-only", esv1.ReasonInvalidSpec, `spec.provider.folderPath: "apps/aws/" names no dynamic secret`)
	})
	if logged := logs.String(); strings.Contains(logged, apiKey) || strings.Contains(logged, "pat-revoked-77aa") {
		t.Error("an API key reached the operator's logs")
	}
	for _, c := range server.Issued() {
		if strings.Contains(logs.String(), c.SecretAccessKey) {
			t.Error("a generated secret access key reached the operator's logs")
		}
	}
}

// lastIssued returns the last credentials server generated, which must be of path.
func lastIssued(t *testing.T, server *tokenapi.Beyondtrust, path string) tokenapi.BeyondtrustCredentials {
	t.Helper()
	issued := server.Issued()
	if len(issued) == 0 || issued[len(issued)-1].Path != path {
		t.Fatalf("no credentials generated for %s last (%d generated)", path, len(issued))
	}
	return issued[len(issued)-1]
}
