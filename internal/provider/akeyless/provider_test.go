package akeyless

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/akeyless/akeylessfake"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/testenv"
)

// testJWT is a ServiceAccount token of apps/reader as kube-apiserver shapes one (the
// signature is not checked by the fake, which reads the sub claim).
var testJWT = "eyJhbGciOiJSUzI1NiJ9." +
	base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"system:serviceaccount:apps:reader"}`)) + ".c2lnbmF0dXJl"

func newClientOf(t *testing.T, p *Provider, store esv1.GenericStore, kube client.Client) *Client {
	t.Helper()
	c, err := p.NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c.(*Client)
}

func newClient(t *testing.T, f *akeylessfake.Server, accessKey string) *Client {
	t.Helper()
	store, kube := apiKeyStore(f, accessKey)
	return newClientOf(t, &Provider{}, store, kube)
}

func get(t *testing.T, c *Client, ref esv1.ExternalSecretDataRemoteRef) string {
	t.Helper()
	got, err := c.GetSecret(context.Background(), ref)
	if err != nil {
		t.Fatalf("GetSecret %q property %q version %q: %v", ref.Key, ref.Property, ref.Version, err)
	}
	return string(got)
}

// TestItemTypes reads each item type as ESO defines its value: a static secret as stored
// (any version), a dynamic secret's and a certificate's answer as a JSON object, a rotated
// secret's payload or target_value; an item type Ferry does not read is an error, not
// "not found"; an item's type is asked once for many reads.
func TestItemTypes(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/apps/token", "plain-v1")
	f.PutStatic("/apps/token", "plain-v2")
	f.PutObject("/apps/db-dynamic", typeDynamic, map[string]any{"user": "tmp-user", "password": "tmp-pw", "ttl_in_minutes": 60})
	f.PutObject("/apps/ssh-rotated", typeRotated, map[string]any{"value": map[string]any{"payload": "rotated-payload"}})
	f.PutObject("/apps/db-rotated", typeRotated, map[string]any{"value": map[string]any{"target_value": map[string]any{"username": "app", "password": "r-pw"}}})
	f.PutObject("/apps/tls", typeCertificate, map[string]any{"certificate_pem": "CERT", "private_key_pem": "KEY"})
	f.PutObject("/apps/key", "AES256GCM", map[string]any{"x": 1})
	c := newClient(t, f, f.AccessKey)

	for _, tt := range []struct {
		ref  esv1.ExternalSecretDataRemoteRef
		want string
	}{
		{esv1.ExternalSecretDataRemoteRef{Key: "/apps/token"}, "plain-v2"},
		{esv1.ExternalSecretDataRemoteRef{Key: "/apps/token", Version: "1"}, "plain-v1"},
		{esv1.ExternalSecretDataRemoteRef{Key: "/apps/token", Version: "0"}, "plain-v2"},
		{esv1.ExternalSecretDataRemoteRef{Key: "/apps/db-dynamic", Property: "password"}, "tmp-pw"},
		{esv1.ExternalSecretDataRemoteRef{Key: "/apps/db-dynamic", Property: "ttl_in_minutes"}, "60"},
		{esv1.ExternalSecretDataRemoteRef{Key: "/apps/ssh-rotated"}, "rotated-payload"},
		{esv1.ExternalSecretDataRemoteRef{Key: "/apps/db-rotated", Property: "password"}, "r-pw"},
		{esv1.ExternalSecretDataRemoteRef{Key: "/apps/tls", Property: "certificate_pem"}, "CERT"},
	} {
		if got := get(t, c, tt.ref); got != tt.want {
			t.Errorf("GetSecret %q property %q version %q = %q, want %q", tt.ref.Key, tt.ref.Property, tt.ref.Version, got, tt.want)
		}
	}
	m, err := c.GetSecretMap(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/apps/db-rotated"})
	if err != nil || string(m["username"]) != "app" || string(m["password"]) != "r-pw" || len(m) != 2 {
		t.Errorf("GetSecretMap of a rotated secret = %v, %v", m, err)
	}
	if n := f.Count("describe-item"); n != 5 {
		t.Errorf("9 reads of 5 items made %d describe-item calls, want 5 (one per item)", n)
	}
	for _, bad := range []esv1.ExternalSecretDataRemoteRef{{Key: "/apps/key"}, {Key: "/apps/token", Version: "latest"}} {
		if _, err := c.GetSecret(context.Background(), bad); err == nil || errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecret %q version %q = %v, want an error that is not ErrNotFound", bad.Key, bad.Version, err)
		}
	}
	if _, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/apps/token", Version: "7"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetSecret of a version that does not exist = %v, want ErrNotFound", err)
	}
}

// TestItemRecreated: an item deleted after its type was cached is "not found", and one
// created again under the same name with another type is read by its new type.
func TestItemRecreated(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/apps/x", "static")
	c := newClient(t, f, f.AccessKey)
	if got := get(t, c, esv1.ExternalSecretDataRemoteRef{Key: "/apps/x"}); got != "static" {
		t.Fatalf("got %q", got)
	}
	f.Remove("/apps/x")
	if _, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/apps/x"}); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("GetSecret of a deleted item = %v, want ErrNotFound", err)
	}
	f.PutObject("/apps/x", typeDynamic, map[string]any{"user": "u"})
	if got := get(t, c, esv1.ExternalSecretDataRemoteRef{Key: "/apps/x", Property: "user"}); got != "u" {
		t.Errorf("the item created again reads %q, want its dynamic value", got)
	}
}

// TestIgnoreCache: ignoreCache reaches get-secret-value as Akeyless's ignore-cache flag.
func TestIgnoreCache(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	for _, ignore := range []bool{false, true} {
		store, kube := apiKeyStore(f, f.AccessKey)
		store.(*esv1.SecretStore).Spec.Provider.Akeyless.IgnoreCache = ignore
		get(t, newClientOf(t, &Provider{}, store, kube), esv1.ExternalSecretDataRemoteRef{Key: "/a"})
	}
	if got := f.IgnoreCache(); strings.Join(got, ",") != "false,true" {
		t.Errorf("ignore-cache flags sent %q, want false then true", got)
	}
}

// TestFindByPathAndTags: find.path lists below the path (a leading and trailing slash
// added, as ESO adds them) through every page of /list-items, keeping only the names
// below it; find.tags asks for each tag value; name, path and tags must all hold.
func TestFindByPathAndTags(t *testing.T) {
	f := startAkeyless(t)
	f.PageSize = 2
	f.PutStatic("/team-a/db", `{"u":"a"}`, "prod", "db")
	f.PutStatic("/team-a/cache", "c", "prod")
	f.PutStatic("/team-a/dev-db", "d", "dev", "db")
	f.PutStatic("/team-a/empty", "", "prod")
	f.PutStatic("/team-b/db", "b", "prod", "db")
	f.PutObject("/team-a/dyn", typeDynamic, map[string]any{"user": "x"})
	// list-items' filter matches a part of the name: an item elsewhere whose name holds
	// the path is listed, and must be left out.
	f.PutStatic("/archive/team-a/old", "o", "prod", "db")
	c := newClient(t, f, f.AccessKey)
	ctx := context.Background()
	path := "team-a"
	all, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: &path})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || string(all["/team-a/db"]) != `{"u":"a"}` || string(all["/team-a/dyn"]) != `{"user":"x"}` || all["/team-a/empty"] != nil {
		t.Errorf("find by path gave keys %v, want the four non-empty items below /team-a/", keys(all))
	}
	tagged, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Path: &path, Tags: map[string]string{"env": "prod", "kind": "db"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tagged) != 1 || tagged["/team-a/db"] == nil {
		t.Errorf("find by path and tags gave keys %v, want only /team-a/db", keys(tagged))
	}
	named, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "db$"}, Tags: map[string]string{"env": "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(named) != 2 || named["/team-a/db"] == nil || named["/team-b/db"] == nil {
		t.Errorf("find by name and tags gave keys %v, want /team-a/db and /team-b/db", keys(named))
	}
	if _, err := c.GetAllSecrets(ctx, esv1.ExternalSecretFind{}); !errors.Is(err, provider.ErrNoFindCondition) {
		t.Errorf("an empty find = %v, want ErrNoFindCondition", err)
	}
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTokenKeptAndReplaced: one login serves many reads; another is made once two thirds
// of the announced hour have passed, and one more when Akeyless refuses the token.
func TestTokenKeptAndReplaced(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	now := time.Now()
	clock := func() time.Time { return now }
	store, kube := apiKeyStore(f, f.AccessKey)
	c := newClientOf(t, &Provider{cacheOpts: []credcache.Option{credcache.WithClock(clock)}, clock: clock}, store, kube)
	for range 5 {
		get(t, c, esv1.ExternalSecretDataRemoteRef{Key: "/a"})
	}
	if f.Logins() != 1 {
		t.Errorf("5 reads made %d logins, want 1", f.Logins())
	}
	now = now.Add(41 * time.Minute)
	get(t, c, esv1.ExternalSecretDataRemoteRef{Key: "/a"})
	if f.Logins() != 2 {
		t.Errorf("logins = %d after 41 of 60 minutes, want 2", f.Logins())
	}
	now = now.Add(time.Minute)
	f.DropTokens()
	get(t, c, esv1.ExternalSecretDataRemoteRef{Key: "/a"})
	if f.Logins() != 3 {
		t.Errorf("logins = %d after Akeyless dropped the token, want 3", f.Logins())
	}
}

func TestTokenExpiry(t *testing.T) {
	now := time.Date(2026, 12, 5, 2, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		expiration string
		want       time.Time
	}{
		{"2026-12-05T03:00:00Z", now.Add(time.Hour)},
		{"2026-12-05 02:30:00 +0000 UTC", now.Add(30 * time.Minute)},
		{"", now.Add(defaultTokenLife)},
		{"soon", now.Add(defaultTokenLife)},
		{"2026-12-05T01:00:00Z", now.Add(defaultTokenLife)},
	} {
		if got := tokenExpiry(tt.expiration, now); !got.Equal(tt.want) {
			t.Errorf("tokenExpiry(%q) = %s, want %s", tt.expiration, got, tt.want)
		}
	}
}

// TestWrongCredentials: a refused login fails Validate with Akeyless's words and what to
// check, without the key, and reads fail without being "not found".
func TestWrongCredentials(t *testing.T) {
	f := startAkeyless(t)
	c := newClient(t, f, "wrong-access-key")
	_, err := c.Validate(context.Background())
	if err == nil || !strings.Contains(err.Error(), "failed to authenticate") || !strings.Contains(err.Error(), "check the access id") ||
		strings.Contains(err.Error(), "wrong-access-key") {
		t.Errorf("Validate = %v, want Akeyless's reason and the hint, without the key", err)
	}
	if _, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/x"}); err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetSecret with a refused login = %v, want an error that is not ErrNotFound", err)
	}
}

// TestFailingServer: a server answering 401, 403, 429, 500, garbage or nothing fails
// Validate and reads, never as "not found"; so does a URL that answers 404 to every
// command (a gateway address without /v2), and an answer cut short after a good login.
func TestFailingServer(t *testing.T) {
	build := func(t *testing.T, srv *httptest.Server) provider.Client {
		kube := fake.NewClientBuilder().WithObjects(credsSecret("apps", "p-apikey1", "api_key", "access-key-1")).Build()
		return newClientOf(t, &Provider{}, akeylessStore(srv.URL, credsAuth()), kube)
	}
	conformance.RunFailingServers(t, conformance.FailingOptions{}, build)

	notFound := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		akeylessfake.WriteError(w, http.StatusNotFound, "unknown command")
	}))
	t.Cleanup(notFound.Close)
	c := build(t, notFound)
	if _, err := c.Validate(context.Background()); err == nil {
		t.Error("Validate against a URL that answers 404 succeeded")
	}
	if _, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/a"}); err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetSecret when /auth answers 404 = %v, want an error that is not ErrNotFound", err)
	}

	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	truncated := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			f.ServeHTTP(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"item_name":"/a","item_ty`))
	}))
	t.Cleanup(truncated.Close)
	c = build(t, truncated)
	_, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/a"})
	if err == nil || errors.Is(err, provider.ErrNotFound) || !strings.Contains(err.Error(), "not the JSON expected") {
		t.Errorf("GetSecret of a truncated answer = %v, want a JSON error that is not ErrNotFound", err)
	}
}

// TestAccessTypes: the access types of authSecretRef.secretRef. access_key is api_key's
// alias; k8s presents Ferry's pod token with the config name of accessTypeParam; an
// unknown type and a missing key are mistakes named by field.
func TestAccessTypes(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	f.K8sSubject = "system:serviceaccount:apps:reader"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(testJWT+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Provider{tokenFile: tokenFile}
	for _, tt := range []struct {
		accessID, accessType, param string
		want                        string
	}{
		{f.AccessID, "access_key", f.AccessKey, ""},
		{f.K8sAccessID, "k8s", f.K8sConf, ""},
		{f.AccessID, "universal_identity", "", `secretRef.accessType: "universal_identity" is not an access type`},
		{f.AccessID, "api_key", "", "accessTypeParam: access type api_key needs the access key"},
		{f.K8sAccessID, "k8s", "", "accessTypeParam: access type k8s needs the name of the Kubernetes auth config"},
	} {
		t.Run(tt.accessType+"/"+tt.param, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithObjects(credsSecret("apps", tt.accessID, tt.accessType, tt.param)).Build()
			c, err := p.NewClient(context.Background(), akeylessStore(f.URL, credsAuth()), kube, "apps")
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("NewClient = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/a"}); err != nil || string(got) != "v" {
				t.Errorf("GetSecret = %q, %v", got, err)
			}
		})
	}
}

// TestCloudIdentities: aws_iam signs STS GetCallerIdentity with the AWS credentials of the
// SDK's default chain (here the environment's), azure_ad presents the managed identity's
// token from the instance metadata service (of the user-assigned identity accessTypeParam
// names), gcp the metadata server's identity token for audience akeyless.io (or
// accessTypeParam). Akeyless accepts only the identities bound to the auth method, and a
// metadata service's refusal is quoted; no key or token is in any error.
func TestCloudIdentities(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	empty := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "AKIAFERRYTEST", "AWS_SECRET_ACCESS_KEY": "secret-of-the-key",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_CONFIG_FILE": empty, "AWS_SHARED_CREDENTIALS_FILE": empty, "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	p := &Provider{azureIMDS: startAzureIMDS(t, f, "obj-system", f.AzureObject), gcpMetadata: startGCPMetadata(t, f, f.GCPAccount)}
	for _, tt := range []struct {
		accessID, accessType, param string
		want                        string
	}{
		{f.AWSAccessID, "aws_iam", "", ""},
		{f.AzureAccessID, "azure_ad", f.AzureObject, ""},
		{f.AzureAccessID, "azure_ad", "", "failed to authenticate: the azure ad token is not of the bound identity"},
		{f.AzureAccessID, "azure_ad", "obj-unknown", "azure_ad: asking the instance metadata service for the managed identity's token: status 400: Identity not found"},
		{f.GCPAccessID, "gcp", "", ""},
		{f.GCPAccessID, "gcp", "https://other.example", "the gcp identity token's audience is not akeyless.io"},
		{f.AWSAccessID, "gcp", "", "the gcp identity token is not of the bound service account"},
	} {
		t.Run(tt.accessType+"/"+tt.param, func(t *testing.T) {
			kube := fake.NewClientBuilder().WithObjects(credsSecret("apps", tt.accessID, tt.accessType, tt.param)).Build()
			c := newClientOf(t, p, akeylessStore(f.URL, credsAuth()), kube)
			got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/a"})
			if tt.want == "" {
				if err != nil || string(got) != "v" {
					t.Errorf("GetSecret = %q, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret-of-the-key") ||
				strings.Contains(err.Error(), "eyJ") || errors.Is(err, provider.ErrNotFound) {
				t.Errorf("GetSecret = %v, want an error saying %q without a key or token", err, tt.want)
			}
		})
	}
}

// TestGCPMetadataHost: without a metadata address of the test's, gcp logins ask the host
// GCE_METADATA_HOST names, as Google's libraries do.
func TestGCPMetadataHost(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(startGCPMetadata(t, f, f.GCPAccount), "http://"))
	kube := fake.NewClientBuilder().WithObjects(credsSecret("apps", f.GCPAccessID, "gcp", "")).Build()
	c := newClientOf(t, &Provider{}, akeylessStore(f.URL, credsAuth()), kube)
	if got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/a"}); err != nil || string(got) != "v" {
		t.Errorf("GetSecret = %q, %v", got, err)
	}
}

// TestAWSWebIdentity: aws_iam in a pod with IRSA: the AWS SDK's default chain trades the
// web identity token for the role's credentials at STS (moto), and Akeyless, sending the
// signed GetCallerIdentity request to that STS, sees the assumed role.
func TestAWSWebIdentity(t *testing.T) {
	moto := testenv.MustStartMoto(t)
	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	f.STSEndpoint, f.AWSBoundARN = moto.Endpoint, "arn:aws:sts::123456789012:assumed-role/akeyless-reader/"
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(testJWT), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/akeyless-reader", "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile,
		"AWS_ENDPOINT_URL_STS": moto.Endpoint, "AWS_CONFIG_FILE": filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"), "AWS_EC2_METADATA_DISABLED": "true"} {
		t.Setenv(k, v)
	}
	kube := fake.NewClientBuilder().WithObjects(credsSecret("apps", f.AWSAccessID, "aws_iam", "")).Build()
	c := newClientOf(t, &Provider{}, akeylessStore(f.URL, credsAuth()), kube)
	if got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/a"}); err != nil || string(got) != "v" {
		t.Errorf("GetSecret = %q, %v", got, err)
	}
	if moto.Calls("AssumeRoleWithWebIdentity") != 1 || moto.Calls("GetCallerIdentity") != 1 {
		t.Errorf("STS calls: %s, want one AssumeRoleWithWebIdentity (Ferry) and one GetCallerIdentity (Akeyless)", moto)
	}
}

// TestAWSIdentityRefused: STS refuses a request signed with a wrong secret, and Akeyless
// an identity not bound to the auth method; a session token is signed along.
func TestAWSIdentityRefused(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	for _, tt := range []struct {
		keyID, secret, session, want string
	}{
		{"AKIAFERRYTEST", "secret-of-the-key", "session-1", ""},
		{"AKIAFERRYTEST", "a-wrong-secret", "", "STS: SignatureDoesNotMatch"},
		{"AKIAOTHER", "other-secret", "", "the caller identity is not bound to the auth method"},
		{"AKIAUNKNOWN", "x", "", "STS: InvalidClientTokenId"},
	} {
		p := &Provider{loadAWS: func(context.Context) (aws.Config, error) {
			return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(tt.keyID, tt.secret, tt.session)}, nil
		}}
		kube := fake.NewClientBuilder().WithObjects(credsSecret("apps", f.AWSAccessID, "aws_iam", "")).Build()
		c := newClientOf(t, p, akeylessStore(f.URL, credsAuth()), kube)
		_, err := c.Validate(context.Background())
		if (tt.want == "") != (err == nil) || (err != nil && (!strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), tt.secret))) {
			t.Errorf("key %s: Validate = %v, want %q", tt.keyID, err, tt.want)
		}
	}
}

// TestKubernetesAuthFromSecret: kubernetesAuth.secretRef's token is presented (its key
// defaults to "token", as in ESO), re-read at each login; a token of another
// ServiceAccount is refused with Akeyless's reason.
func TestKubernetesAuthFromSecret(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	f.K8sSubject = "system:serviceaccount:apps:reader"
	other := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"system:serviceaccount:apps:other"}`)) + ".c2ln"
	kube := fake.NewClientBuilder().WithObjects(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sa-token", Namespace: "apps"},
		Data: map[string][]byte{"token": []byte(testJWT), "other": []byte(other)}}).Build()
	for _, tt := range []struct{ key, want string }{{"", ""}, {"other", "k8s service account token was not accepted"}} {
		store := akeylessStore(f.URL, esv1.AkeylessAuthSecretRef{KubernetesAuth: &esv1.AkeylessKubernetesAuth{
			AccessID: f.K8sAccessID, K8sConfName: f.K8sConf, SecretRef: &esv1.SecretKeySelector{Name: "sa-token", Key: tt.key}}})
		c := newClientOf(t, &Provider{}, store, kube)
		_, err := c.Validate(context.Background())
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("key %q: Validate = %v", tt.key, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("key %q: Validate = %v, want %q", tt.key, err, tt.want)
		}
	}
}

func TestValidateStore(t *testing.T) {
	other := "other"
	sel := &esv1.SecretKeySelector{Name: "c", Key: "k"}
	elsewhere := &esv1.SecretKeySelector{Name: "c", Key: "k", Namespace: &other}
	k8s := func(id, conf string) esv1.AkeylessAuthSecretRef {
		return esv1.AkeylessAuthSecretRef{KubernetesAuth: &esv1.AkeylessKubernetesAuth{AccessID: id, K8sConfName: conf}}
	}
	for _, tt := range []struct {
		name  string
		url   string
		auth  esv1.AkeylessAuthSecretRef
		want  string
		class error
	}{
		{"secretRef", "https://api.akeyless.io", credsAuth(), "", nil},
		{"default URL", "", credsAuth(), "", nil},
		{"gateway", "https://gw.example:8080/v2", k8s("p-1", "conf"), "", nil},
		{"URL without host", "api.akeyless.io", credsAuth(), "akeylessGWApiURL: not a URL with a host", nil},
		{"ftp URL", "ftp://api.akeyless.io", credsAuth(), "akeylessGWApiURL: scheme", provider.ErrAdmittedMistake},
		{"no auth", "", esv1.AkeylessAuthSecretRef{}, "secretRef.accessID: required", nil},
		{"no access type", "", esv1.AkeylessAuthSecretRef{SecretRef: &esv1.AkeylessSecretRef{AccessID: sel}}, "secretRef.accessType", provider.ErrAdmittedMistake},
		{"access id elsewhere", "", esv1.AkeylessAuthSecretRef{SecretRef: &esv1.AkeylessSecretRef{AccessID: elsewhere, AccessType: sel}}, "accessID.namespace", nil},
		{"k8s without access id", "", k8s("", "conf"), "kubernetesAuth.accessID: required", nil},
		{"k8s without config", "", k8s("p-1", ""), "kubernetesAuth.k8sConfName: required", nil},
		{"k8s service account elsewhere", "", esv1.AkeylessAuthSecretRef{KubernetesAuth: &esv1.AkeylessKubernetesAuth{AccessID: "p", K8sConfName: "c",
			ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa", Namespace: &other}}}, "kubernetesAuth.serviceAccountRef.namespace", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conformance.CheckStoreError(t, New().ValidateStore(akeylessStore(tt.url, tt.auth)), tt.want, tt.class)
		})
	}
}

// TestGatewayRoot: akeylessGWApiURL naming a gateway's root, whose v2 API is below /v2,
// reaches the v2 API as ESO's provider does (a POST to the URL that does not answer
// "unknown command" means a gateway's root); a URL ending in /v2 is used as written.
func TestGatewayRoot(t *testing.T) {
	f := startAkeyless(t)
	f.PutStatic("/a", "v")
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/v2/"); ok {
			r.URL.Path = "/" + rest
			f.ServeHTTP(w, r)
			return
		}
		http.Error(w, "404 page not found", http.StatusNotFound)
	}))
	t.Cleanup(gateway.Close)
	for _, url := range []string{gateway.URL, gateway.URL + "/", gateway.URL + "/v2"} {
		kube := fake.NewClientBuilder().WithObjects(credsSecret("apps", f.AccessID, "api_key", f.AccessKey)).Build()
		c := newClientOf(t, &Provider{}, akeylessStore(url, credsAuth()), kube)
		if got, err := c.GetSecret(context.Background(), esv1.ExternalSecretDataRemoteRef{Key: "/a"}); err != nil || string(got) != "v" {
			t.Errorf("akeylessGWApiURL %s: GetSecret = %q, %v", url, got, err)
		}
	}
}
