package externalsecret_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/generator"
	"github.com/ferryhq/ferry/internal/provider/aws"
	"github.com/ferryhq/ferry/internal/provider/azurekv"
	"github.com/ferryhq/ferry/internal/provider/gcpsm"
	"github.com/ferryhq/ferry/internal/provider/vault"
	"github.com/ferryhq/ferry/internal/provider/webhook"
	"github.com/ferryhq/ferry/internal/testenv"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

// testGenerators is the generator registry of the operator under test. The AWS generators
// reach a moto server that the first test needing it starts (see useMoto); the Vault tests
// start a Vault dev server the same way (useVault). The registry generators reach only
// the in-process TLS servers of tokenapi.
func testGenerators(cp *testenv.ControlPlane) *generator.Registry {
	inProcess := generator.WithHTTPClient(tokenapi.TLSClient())
	issuer, err := tokenapi.NewKubeIssuer(cp.Config)
	if err != nil {
		panic(fmt.Sprintf("reading the API server's OIDC issuer: %v", err))
	}
	entra = tokenapi.NewEntraID(issuer, "ferry-tenant")
	ecrPublic = tokenapi.NewECRPublic(awsTestKeyID, awsTestSecretKey)
	azure := azurekv.New(azurekv.WithHTTPClient(tokenapi.TLSClient()), azurekv.WithAuthorityHost(entra.URL))
	googleAPI = tokenapi.NewGoogle(issuer, "ferry-project", "europe-west1", "test")
	gcp := gcpsm.New(gcpsm.WithEndpoints(gcpsm.Endpoints{STS: googleAPI.URL + "/v1/token", IAMCredentials: googleAPI.URL,
		HTTPClient: tokenapi.TLSClient()}))
	return generator.NewRegistry(generator.NewPassword(), generator.NewUUID(), generator.NewFake(),
		generator.NewECRAuthorizationToken(motoSessions{}, generator.WithECRPublicEndpoint(ecrPublic.URL)), generator.NewSTSSessionToken(motoSessions{}),
		generator.NewVaultDynamicSecret(vault.NewCaller()), generator.NewSSHKey(), generator.NewMFA(),
		generator.NewWebhook(webhook.New()), generator.NewGithubAccessToken(), generator.NewGrafana(),
		generator.NewGitlabDeployToken(), generator.NewQuayAccessToken(inProcess),
		generator.NewCloudsmithAccessToken(inProcess), generator.NewACRAccessToken(azure, inProcess),
		generator.NewGCRAccessToken(gcp), generator.NewBeyondtrustWorkloadCredentialsDynamicSecret())
}

// shared is the moto server of this package's tests, started once on first use and
// stopped by TestMain.
var shared struct {
	once     sync.Once
	moto     *testenv.Moto
	err      error
	sessions *aws.Provider
}

// useMoto starts the package's moto server if needed and returns it; a missing
// moto_server fails the test with the install hint.
func useMoto(t *testing.T) *testenv.Moto {
	t.Helper()
	shared.once.Do(func() {
		shared.moto, shared.err = testenv.StartMoto()
		if shared.err == nil {
			shared.sessions = aws.NewSessions(aws.WithEndpoint(shared.moto.Endpoint))
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.moto
}

// entra and googleAPI are the Entra ID tenant of the ACRAccessToken tests and the Google
// token endpoints of the GCRAccessToken tests, and ecrPublic the ECR Public API of the
// ECRAuthorizationToken tests of scope public, started with the operator.
var (
	entra     *tokenapi.EntraID
	googleAPI *tokenapi.Google
	ecrPublic *tokenapi.ECRPublic
)

// stopSharedBackends stops the servers useMoto and useVault started, and entra.
func stopSharedBackends() {
	if entra != nil {
		entra.Close()
		googleAPI.Close()
		ecrPublic.Close()
	}
	if shared.moto != nil {
		_ = shared.moto.Stop()
	}
	if sharedVault.server != nil {
		_ = sharedVault.server.Stop()
	}
}

// motoSessions points the AWS generators at the shared moto server; before it runs, at a
// closed port, so that nothing ever reaches AWS.
type motoSessions struct{}

func (motoSessions) provider() *aws.Provider {
	if shared.sessions != nil {
		return shared.sessions
	}
	return aws.NewSessions(aws.WithEndpoint("http://127.0.0.1:1"))
}

func (m motoSessions) ValidateAccess(a aws.Access) error { return m.provider().ValidateAccess(a) }

func (m motoSessions) Config(ctx context.Context, a aws.Access, kube client.Client, ns string) (awssdk.Config, error) {
	return m.provider().Config(ctx, a, kube, ns)
}
func (m motoSessions) Endpoint() string                  { return m.provider().Endpoint() }
func (m motoSessions) STS(cfg awssdk.Config) *sts.Client { return m.provider().STS(cfg) }

// generatorES returns an ExternalSecret that reads only from the named generator.
func generatorES(ns, name, kind, generatorName string, interval time.Duration) *esv1.ExternalSecret {
	return &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: esv1.ExternalSecretSpec{
			RefreshInterval: esv1.NewDuration(interval),
			DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{SourceRef: &esv1.StoreGeneratorSourceRef{
				GeneratorRef: &esv1.GeneratorRef{APIVersion: genv1alpha1.SchemeGroupVersion.String(), Kind: kind, Name: generatorName},
			}}},
		},
	}
}

// secretValue waits until the Secret exists with key and returns its value.
func secretValue(t *testing.T, ns, name, key string) string {
	t.Helper()
	var value string
	testenv.Eventually(t, 20*time.Second, "Secret "+name+" key "+key, func() (bool, error) {
		secret := &corev1.Secret{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, secret); err != nil {
			return false, err
		}
		v, ok := secret.Data[key]
		value = string(v)
		return ok, fmt.Errorf("keys %v", keys(secret.Data))
	})
	return value
}

// waitValueChange waits until the Secret's key holds a value other than old, and returns it.
func waitValueChange(t *testing.T, ns, name, key, old string) string {
	t.Helper()
	var value string
	testenv.Eventually(t, 20*time.Second, "a new value of "+key, func() (bool, error) {
		secret := &corev1.Secret{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, secret); err != nil {
			return false, err
		}
		v, ok := secret.Data[key]
		value = string(v)
		return ok && value != old, nil
	})
	return value
}

// assertValueStays checks, for a while, that the Secret's key keeps value.
func assertValueStays(t *testing.T, ns, name, key, value string, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		secret := &corev1.Secret{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, secret); err != nil {
			t.Fatal(err)
		}
		if string(secret.Data[key]) != value {
			t.Fatalf("%s was regenerated without a refresh", key)
		}
	}
}

// checkPassword checks a password against the spec used in the password tests.
func checkPassword(t *testing.T, password string) {
	t.Helper()
	var digits, symbols, upper int
	for _, r := range password {
		switch {
		case unicode.IsDigit(r):
			digits++
		case strings.ContainsRune("-_", r):
			symbols++
		case unicode.IsUpper(r):
			upper++
		case !unicode.IsLower(r):
			t.Errorf("unexpected character class in password")
		}
	}
	if len(password) != 32 || digits != 5 || symbols != 4 || upper != 0 {
		t.Errorf("password has length %d, %d digits, %d symbols, %d upper-case; want 32, 5, 4, 0",
			len(password), digits, symbols, upper)
	}
}

func createPassword(t *testing.T, ns, name string) {
	t.Helper()
	create(t, &genv1alpha1.Password{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: genv1alpha1.PasswordSpec{Length: 32, Digits: new(5), Symbols: new(4), SymbolCharacters: new("-_"),
			NoUpper: true, AllowRepeat: true}})
}

// TestPasswordGeneratedOnlyOnRefresh follows one generated password through the events
// that do and do not refresh an ExternalSecret.
func TestPasswordGeneratedOnlyOnRefresh(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	createPassword(t, ns, "db")
	es := generatorES(ns, "db", genv1alpha1.PasswordKind, "db", time.Hour)
	create(t, es)
	first := secretValue(t, ns, "db", "password")
	checkPassword(t, first)
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)

	// Editing the Secret's metadata reconciles the ExternalSecret without refreshing it.
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}}
	update(t, secret, func(s *corev1.Secret) { s.Labels["team"] = "payments" })
	// Editing the generator does not refresh its ExternalSecrets either.
	update(t, &genv1alpha1.Password{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}},
		func(p *genv1alpha1.Password) { p.Spec.Length = 40 })
	assertValueStays(t, ns, "db", "password", first, 3*time.Second)

	// A forced sync (any annotation change) generates a new password, from the current spec.
	update(t, es, func(es *esv1.ExternalSecret) {
		es.Annotations = map[string]string{esv1.AnnotationForceSync: time.Now().Format(time.RFC3339Nano)}
	})
	second := waitValueChange(t, ns, "db", "password", first)
	if len(second) != 40 {
		t.Errorf("the new password has %d characters; the generator now asks for 40", len(second))
	}

	// The Secret is the only copy of a generated value: when it is deleted, or its data
	// edited by hand, the next sync can only generate a new one (as ESO does).
	update(t, secret, func(s *corev1.Secret) { s.Data["password"] = []byte("edited by hand") })
	third := waitValueChange(t, ns, "db", "password", "edited by hand")
	if third == second {
		t.Error("the hand-edited password was restored to its old value, which Ferry does not keep")
	}
	if err := k8s.Delete(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	fourth := waitValueChange(t, ns, "db", "password", third)
	if len(fourth) != 40 {
		t.Errorf("password after deletion has %d characters, want 40", len(fourth))
	}
	if strings.Contains(logs.String(), first) || strings.Contains(logs.String(), fourth) {
		t.Error("a generated password reached the operator's log")
	}
}

func TestPasswordRegeneratedEachRefreshInterval(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	createPassword(t, ns, "rotating")
	create(t, generatorES(ns, "rotating", genv1alpha1.PasswordKind, "rotating", 2*time.Second))
	first := secretValue(t, ns, "rotating", "password")
	second := waitValueChange(t, ns, "rotating", "password", first)
	checkPassword(t, second)
}

func TestPasswordWithTemplateAndOtherEntries(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", "user", "app")
	create(t, &genv1alpha1.Password{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pw"},
		Spec: genv1alpha1.PasswordSpec{Length: 16, SecretKeys: []string{"primary", "secondary"}}})
	es := generatorES(ns, "mixed", genv1alpha1.PasswordKind, "pw", time.Hour)
	es.Spec.SecretStoreRef = esv1.SecretStoreRef{Name: "store", Kind: esv1.SecretStoreKind}
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("user", "user", "")}
	es.Spec.Target.Template = &esv1.ExternalSecretTemplate{EngineVersion: esv1.TemplateEngineV2, MergePolicy: esv1.MergePolicyMerge,
		Data: map[string]string{"dsn": "{{ .user }}:{{ .primary }}@db"}}
	create(t, es)
	dsn := secretValue(t, ns, "mixed", "dsn")
	secret := &corev1.Secret{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "mixed"}, secret); err != nil {
		t.Fatal(err)
	}
	primary, secondary := string(secret.Data["primary"]), string(secret.Data["secondary"])
	if len(primary) != 16 || len(secondary) != 16 || primary == secondary {
		t.Errorf("secretKeys primary and secondary must hold two different 16-character passwords")
	}
	if dsn != "app:"+primary+"@db" {
		t.Error("the template did not combine the store's value with the generated password")
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestUUIDEntriesAreIndependent reads one UUID generator twice: every entry gets a value of
// its own, as in ESO.
func TestUUIDEntriesAreIndependent(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &genv1alpha1.UUID{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "id"}})
	es := generatorES(ns, "ids", genv1alpha1.UUIDKind, "id", time.Hour)
	second := es.Spec.DataFrom[0]
	second.Rewrite = []esv1.ExternalSecretRewrite{{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: "uuid", Target: "request_id"}}}
	es.Spec.DataFrom = append(es.Spec.DataFrom, second)
	create(t, es)
	first := secretValue(t, ns, "ids", "uuid")
	other := secretValue(t, ns, "ids", "request_id")
	if !uuidV4.MatchString(first) || !uuidV4.MatchString(other) {
		t.Errorf("values are not version 4 UUIDs")
	}
	if first == other {
		t.Error("two dataFrom entries of one generator got the same value")
	}
}

func TestFakeGenerator(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &genv1alpha1.Fake{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "static"},
		Spec: genv1alpha1.FakeSpec{Data: map[string]string{"username": "admin", "token": "s3cr3t"}}})
	es := generatorES(ns, "static", genv1alpha1.FakeKind, "static", time.Hour)
	es.Spec.DataFrom[0].Rewrite = []esv1.ExternalSecretRewrite{{Regexp: &esv1.ExternalSecretRewriteRegexp{Source: "^", Target: "app_"}}}
	create(t, es)
	waitSecretData(t, ns, "static", map[string]string{"app_username": "admin", "app_token": "s3cr3t"})
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
}

// TestClusterGenerator uses one ClusterGenerator from two namespaces.
func TestClusterGenerator(t *testing.T) {
	name := "cluster-pw-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	cg := &genv1alpha1.ClusterGenerator{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: genv1alpha1.ClusterGeneratorSpec{Kind: genv1alpha1.PasswordKind, Generator: genv1alpha1.GeneratorSpec{
			PasswordSpec: &genv1alpha1.PasswordSpec{Length: 32, Digits: new(5), Symbols: new(4), SymbolCharacters: new("-_"),
				NoUpper: true, AllowRepeat: true}}}}
	create(t, cg)
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), cg) })

	var passwords []string
	for range 2 {
		ns := testenv.Namespace(t, k8s, nil)
		create(t, generatorES(ns, "app", genv1alpha1.ClusterGeneratorKind, name, time.Hour))
		password := secretValue(t, ns, "app", "password")
		checkPassword(t, password)
		passwords = append(passwords, password)
	}
	if passwords[0] == passwords[1] {
		t.Error("two namespaces got the same password from one ClusterGenerator")
	}
}

func TestGeneratorFailures(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)

	t.Run("generator created after the ExternalSecret", func(t *testing.T) {
		es := generatorES(ns, "late", genv1alpha1.PasswordKind, "late", time.Hour)
		create(t, es)
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonSecretSyncedError)
		if !strings.Contains(msg, `spec.dataFrom[0].sourceRef.generatorRef: Password "late" not found in namespace `+ns) {
			t.Errorf("message %q does not name the missing generator", msg)
		}
		createPassword(t, ns, "late")
		checkPassword(t, secretValue(t, ns, "late", "password"))
	})
	t.Run("invalid spec", func(t *testing.T) {
		create(t, &genv1alpha1.Password{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "short"},
			Spec: genv1alpha1.PasswordSpec{Length: 6, Digits: new(4), Symbols: new(4)}})
		es := generatorES(ns, "short", genv1alpha1.PasswordKind, "short", time.Hour)
		create(t, es)
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonInvalidSpec)
		if !strings.Contains(msg, "spec.length: 6 is shorter than digits (4) plus symbols (4)") {
			t.Errorf("message %q does not explain the spec's problem", msg)
		}
		assertNoSecret(t, ns, "short")
	})
	t.Run("ClusterGenerator union of another kind", func(t *testing.T) {
		name := "mismatch-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		cg := &genv1alpha1.ClusterGenerator{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: genv1alpha1.ClusterGeneratorSpec{Kind: genv1alpha1.PasswordKind,
				Generator: genv1alpha1.GeneratorSpec{UUIDSpec: &genv1alpha1.UUIDSpec{}}}}
		create(t, cg)
		t.Cleanup(func() { _ = k8s.Delete(context.Background(), cg) })
		es := generatorES(ns, "mismatch", genv1alpha1.ClusterGeneratorKind, name, time.Hour)
		create(t, es)
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonInvalidSpec)
		if !strings.Contains(msg, "needs spec.generator.passwordSpec") {
			t.Errorf("message %q does not name the union field", msg)
		}
	})
}

// The static AWS keys the AWS generators authenticate with.
const (
	awsTestKeyID     = "AKIAFERRYTEST"
	awsTestSecretKey = "ferry-test-secret"
)

// awsCredentials creates the Secret of static AWS keys the AWS generators authenticate with.
func awsCredentials(t *testing.T, ns string) esv1.AWSAuth {
	t.Helper()
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"},
		Data: map[string][]byte{"id": []byte(awsTestKeyID), "secret": []byte(awsTestSecretKey)}})
	return esv1.AWSAuth{SecretRef: &esv1.AWSAuthSecretRef{
		AccessKeyID:     esv1.SecretKeySelector{Name: "aws", Key: "id"},
		SecretAccessKey: esv1.SecretKeySelector{Name: "aws", Key: "secret"},
	}}
}

func TestECRAuthorizationTokenAgainstMoto(t *testing.T) {
	moto := useMoto(t)
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &genv1alpha1.ECRAuthorizationToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ecr"},
		Spec: genv1alpha1.ECRAuthorizationTokenSpec{Region: "eu-west-1", Auth: awsCredentials(t, ns)}})
	es := generatorES(ns, "registry", genv1alpha1.ECRAuthorizationTokenKind, "ecr", time.Hour)
	create(t, es)
	expiresAt := secretValue(t, ns, "registry", "expires_at")
	if _, err := strconv.ParseInt(expiresAt, 10, 64); err != nil {
		t.Errorf("expires_at %q is not Unix seconds", expiresAt)
	}
	// moto's answer for its default account.
	waitSecretData(t, ns, "registry", map[string]string{
		"username": "AWS", "password": "123456789012-auth-token",
		"proxy_endpoint": "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", "expires_at": expiresAt,
	})
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	if moto.Calls("GetAuthorizationToken") == 0 {
		t.Errorf("moto saw no GetAuthorizationToken call: %s", moto)
	}
}

// TestSTSSessionTokenAgainstMoto checks the keys, the request parameters and that STS is
// called once per refresh, not per reconcile.
func TestSTSSessionTokenAgainstMoto(t *testing.T) {
	moto := useMoto(t)
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &genv1alpha1.STSSessionToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sts"},
		Spec: genv1alpha1.STSSessionTokenSpec{Region: "eu-west-1", Auth: awsCredentials(t, ns),
			Role:              "arn:aws:iam::123456789012:role/session-maker",
			RequestParameters: &genv1alpha1.STSSessionTokenRequestParameters{SessionDuration: new(int32(3600))}}})
	assumed, before := moto.Calls("AssumeRole"), moto.Calls("GetSessionToken")
	es := generatorES(ns, "session", genv1alpha1.STSSessionTokenKind, "sts", time.Hour)
	create(t, es)
	expiration := secretValue(t, ns, "session", "expiration")
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	secret := &corev1.Secret{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "session"}, secret); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"access_key_id", "secret_access_key", "session_token"} {
		if len(secret.Data[key]) == 0 {
			t.Errorf("key %s is empty", key)
		}
	}
	unix, err := strconv.ParseInt(expiration, 10, 64)
	if err != nil {
		t.Fatalf("expiration %q is not Unix seconds", expiration)
	}
	if d := time.Until(time.Unix(unix, 0)); d < 55*time.Minute || d > 61*time.Minute {
		t.Errorf("credentials expire in %s; sessionDuration asked for 1h", d)
	}
	if moto.Calls("AssumeRole") == assumed {
		t.Errorf("role was not assumed: %s", moto)
	}
	if got := moto.Calls("GetSessionToken") - before; got != 1 {
		t.Errorf("%d GetSessionToken calls for one sync, want 1", got)
	}

	// A reconcile that is not a refresh calls nothing; a forced sync calls STS once more.
	update(t, secret, func(s *corev1.Secret) { s.Labels["checked"] = "yes" })
	assertValueStays(t, ns, "session", "expiration", expiration, 2*time.Second)
	if got := moto.Calls("GetSessionToken") - before; got != 1 {
		t.Errorf("%d GetSessionToken calls after a reconcile without refresh, want 1", got)
	}
	update(t, es, func(es *esv1.ExternalSecret) {
		es.Annotations = map[string]string{esv1.AnnotationForceSync: time.Now().Format(time.RFC3339Nano)}
	})
	testenv.Eventually(t, 20*time.Second, "a second GetSessionToken call", func() (bool, error) {
		return moto.Calls("GetSessionToken")-before == 2, fmt.Errorf("calls: %s", moto)
	})
}

// TestAWSGeneratorAuthStaysInNamespace checks that a generator's auth cannot read a Secret
// of another namespace.
func TestAWSGeneratorAuthStaysInNamespace(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	other := testenv.Namespace(t, k8s, nil)
	auth := awsCredentials(t, other)
	auth.SecretRef.AccessKeyID.Namespace = &other
	auth.SecretRef.SecretAccessKey.Namespace = &other
	create(t, &genv1alpha1.ECRAuthorizationToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ecr"},
		Spec: genv1alpha1.ECRAuthorizationTokenSpec{Region: "eu-west-1", Auth: auth}})
	es := generatorES(ns, "registry", genv1alpha1.ECRAuthorizationTokenKind, "ecr", time.Hour)
	create(t, es)
	msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonInvalidSpec)
	if !strings.Contains(msg, "auth.secretRef.accessKeyIDSecretRef.namespace") {
		t.Errorf("message %q does not name the field that points elsewhere", msg)
	}
	assertNoSecret(t, ns, "registry")
}
