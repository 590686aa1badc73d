package aws

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// tokenRequests wraps the control plane's client and records every TokenRequest it passes
// on to the real API server.
type tokenRequests struct {
	client.Client
	mu        sync.Mutex
	audiences [][]string
	tokens    []string
}

func newTokenRequests(t *testing.T) *tokenRequests {
	t.Helper()
	watching, err := client.NewWithWatch(controlPlane.Config, client.Options{Scheme: controlPlane.Env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	tr := &tokenRequests{}
	tr.Client = interceptor.NewClient(watching, interceptor.Funcs{
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			err := c.SubResource(sub).Create(ctx, obj, subObj, opts...)
			if req, ok := subObj.(*authv1.TokenRequest); ok && sub == "token" && err == nil {
				tr.mu.Lock()
				tr.audiences = append(tr.audiences, req.Spec.Audiences)
				tr.tokens = append(tr.tokens, req.Status.Token)
				tr.mu.Unlock()
			}
			return err
		},
	})
	return tr
}

func (tr *tokenRequests) count() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.audiences)
}

func serviceAccount(t *testing.T, ns, name string, annotations map[string]string) {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: annotations}}
	if err := controlPlane.Client.Create(testContext(t), sa); err != nil {
		t.Fatalf("creating ServiceAccount: %v", err)
	}
}

// callerARN asks STS, with the client's own credentials, whom they belong to.
func callerARN(t *testing.T, c provider.Client) string {
	t.Helper()
	var identity callerIdentityAPI
	switch cl := c.(type) {
	case *secretsManager:
		identity = cl.identity
	case *parameterStore:
		identity = cl.identity
	}
	out, err := identity.GetCallerIdentity(testContext(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	return aws.ToString(out.Arn)
}

// TestIRSA runs the whole chain: a ServiceAccount annotated with a role, a real
// TokenRequest, AssumeRoleWithWebIdentity at moto, then Secrets Manager reads with the
// role's credentials, which are assumed once for many reads.
func TestIRSA(t *testing.T) {
	t.Parallel()
	moto := testenv.MustStartMoto(t)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	const role = "arn:aws:iam::123456789012:role/irsa-reader"
	serviceAccount(t, ns, "reader", map[string]string{annotationRoleARN: role})
	createSecret(t, seedSecretsManager(moto), "irsa/db", `{"password":"p4ss"}`, nil)
	kube := newTokenRequests(t)
	store := secretStore(ns, esv1.AWSProvider{
		Service: esv1.AWSServiceSecretsManager,
		Auth: esv1.AWSAuth{JWTAuth: &esv1.AWSJWTAuth{ServiceAccountRef: &esv1.ServiceAccountSelector{
			Name: "reader", Audiences: []string{"extra-audience"},
		}}},
	})
	c := newClient(t, moto, store, kube, ns)
	ctx := testContext(t)

	if n := moto.Calls("AssumeRoleWithWebIdentity") + kube.count(); n != 0 {
		t.Fatalf("building the client made %d calls; credentials must be fetched on first use", n)
	}
	for range 5 {
		got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "irsa/db", Property: "password"})
		if err != nil {
			t.Fatalf("GetSecret: %v", err)
		}
		if string(got) != "p4ss" {
			t.Fatalf("GetSecret = %q, want p4ss", got)
		}
	}
	if n := moto.Calls("AssumeRoleWithWebIdentity"); n != 1 {
		t.Errorf("AssumeRoleWithWebIdentity calls = %d after 5 reads, want 1 (%s)", n, moto)
	}
	if n := moto.Calls("GetSecretValue"); n != 5 {
		t.Errorf("GetSecretValue calls = %d, want 5", n)
	}
	if n := kube.count(); n != 1 {
		t.Errorf("TokenRequests = %d, want 1", n)
	}
	if got := strings.Join(kube.audiences[0], ","); got != "sts.amazonaws.com,extra-audience" {
		t.Errorf("token audiences = %s, want sts.amazonaws.com,extra-audience", got)
	}
	if parts := strings.Split(kube.tokens[0], "."); len(parts) != 3 {
		t.Errorf("the API server did not issue a JWT")
	}
	if arn := callerARN(t, c); !strings.Contains(arn, ":assumed-role/irsa-reader/") {
		t.Errorf("reads ran as %s, want the assumed role irsa-reader", arn)
	}
	if res, err := c.Validate(ctx); err != nil || res != esv1.ValidationResultReady {
		t.Errorf("Validate = %v, %v; want Ready", res, err)
	}
	if n := moto.Calls("AssumeRoleWithWebIdentity"); n != 1 {
		t.Errorf("AssumeRoleWithWebIdentity calls = %d after Validate, want 1", n)
	}
}

func TestIRSAAudienceAnnotationAndClusterStore(t *testing.T) {
	t.Parallel()
	moto := testenv.MustStartMoto(t)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	serviceAccount(t, ns, "reader", map[string]string{
		annotationRoleARN:  "arn:aws:iam::123456789012:role/cluster-reader",
		annotationAudience: "my-audience",
	})
	createSecret(t, seedSecretsManager(moto), "cluster/db", "v", nil)
	kube := newTokenRequests(t)
	// No namespace on the ref: the ClusterSecretStore uses the namespace it acts for.
	store := clusterSecretStore(esv1.AWSProvider{
		Service: esv1.AWSServiceSecretsManager,
		Auth:    esv1.AWSAuth{JWTAuth: &esv1.AWSJWTAuth{ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "reader"}}},
	})
	c := newClient(t, moto, store, kube, ns)
	if got, err := c.GetSecret(testContext(t), esv1.ExternalSecretDataRemoteRef{Key: "cluster/db"}); err != nil || string(got) != "v" {
		t.Fatalf("GetSecret = %q, %v", got, err)
	}
	if got := strings.Join(kube.audiences[0], ","); got != "my-audience" {
		t.Errorf("token audiences = %s, want my-audience", got)
	}
}

func TestIRSAWithoutRoleAnnotation(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	serviceAccount(t, ns, "plain", nil)
	store := secretStore(ns, esv1.AWSProvider{
		Service: esv1.AWSServiceSecretsManager,
		Auth:    esv1.AWSAuth{JWTAuth: &esv1.AWSJWTAuth{ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "plain"}}},
	})
	_, err := New(WithEndpoint(sharedMoto.Endpoint)).NewClient(testContext(t), store, controlPlane.Client, ns)
	if err == nil || !strings.Contains(err.Error(), annotationRoleARN) ||
		!strings.Contains(err.Error(), "spec.provider.aws.auth.jwt.serviceAccountRef") {
		t.Fatalf("error = %v, want one naming the field and the missing annotation", err)
	}
}

func TestStaticCredentials(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "keys"},
		Data: map[string][]byte{
			"id": []byte("AKIASTATICFERRY"), "secret": []byte("static-secret"), "token": []byte("static-session-token"),
		},
	}
	if err := controlPlane.Client.Create(testContext(t), secret); err != nil {
		t.Fatal(err)
	}
	createSecret(t, seedSecretsManager(sharedMoto), ns+"/static", "static-value", nil)
	auth := esv1.AWSAuth{SecretRef: &esv1.AWSAuthSecretRef{
		AccessKeyID:     esv1.SecretKeySelector{Name: "keys", Key: "id"},
		SecretAccessKey: esv1.SecretKeySelector{Name: "keys", Key: "secret"},
		SessionToken:    &esv1.SecretKeySelector{Name: "keys", Key: "token"},
	}}
	c := newClient(t, sharedMoto, secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: auth}), controlPlane.Client, ns)
	ctx := testContext(t)
	if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: ns + "/static"}); err != nil || string(got) != "static-value" {
		t.Fatalf("GetSecret = %q, %v", got, err)
	}
	if res, err := c.Validate(ctx); err != nil || res != esv1.ValidationResultReady {
		t.Errorf("Validate = %v, %v; want Ready", res, err)
	}

	t.Run("missing key in the Secret", func(t *testing.T) {
		bad := auth.DeepCopy()
		bad.SecretRef.SecretAccessKey.Key = "nope"
		_, err := New(WithEndpoint(sharedMoto.Endpoint)).NewClient(ctx,
			secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: *bad}), controlPlane.Client, ns)
		if err == nil || !strings.Contains(err.Error(), "spec.provider.aws.auth.secretRef.secretAccessKeySecretRef") {
			t.Fatalf("error = %v, want one naming secretAccessKeySecretRef", err)
		}
		assertNoValue(t, err, "static-secret", "AKIASTATICFERRY")
	})
	t.Run("missing Secret", func(t *testing.T) {
		bad := auth.DeepCopy()
		bad.SecretRef.AccessKeyID.Name = "absent"
		_, err := New(WithEndpoint(sharedMoto.Endpoint)).NewClient(ctx,
			secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: *bad}), controlPlane.Client, ns)
		if err == nil || !strings.Contains(err.Error(), "accessKeyIDSecretRef") || !strings.Contains(err.Error(), "absent") {
			t.Fatalf("error = %v, want one naming accessKeyIDSecretRef and the Secret", err)
		}
	})
}

// TestRoleChain assumes additionalRoles then role, each once however many reads follow.
func TestRoleChain(t *testing.T) {
	t.Parallel()
	moto := testenv.MustStartMoto(t)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	putParameter(t, seedParameterStore(moto), "/chain/param", "chained", "SecureString", nil)
	store := secretStore(ns, esv1.AWSProvider{
		Service: esv1.AWSServiceParameterStore,
		Auth:    staticAuth(),
		AdditionalRoles: []string{
			"arn:aws:iam::111111111111:role/hop-1",
			"arn:aws:iam::222222222222:role/hop-2",
		},
		Role:              "arn:aws:iam::123456789012:role/final",
		ExternalID:        "ext-123",
		SessionTags:       []*esv1.AWSTag{{Key: "team", Value: "payments"}},
		TransitiveTagKeys: []string{"team"},
		SessionTagsPolicy: "Custom",
		CustomSessionTags: map[string]string{"cost": "42"},
	})
	c := newClient(t, moto, store, controlPlane.Client, ns)
	ctx := testContext(t)
	for range 5 {
		if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "/chain/param"}); err != nil || string(got) != "chained" {
			t.Fatalf("GetSecret = %q, %v", got, err)
		}
	}
	if n := moto.Calls("AssumeRole"); n != 3 {
		t.Errorf("AssumeRole calls = %d after 5 reads, want 3 (one per role) (%s)", n, moto)
	}
	if n := moto.Calls("GetParameter"); n != 5 {
		t.Errorf("GetParameter calls = %d, want 5", n)
	}
	if arn := callerARN(t, c); !strings.Contains(arn, ":assumed-role/final/") {
		t.Errorf("reads ran as %s, want the assumed role final", arn)
	}
	if n := moto.Calls("AssumeRole"); n != 3 {
		t.Errorf("AssumeRole calls = %d, want still 3", n)
	}
}

func TestSessionTags(t *testing.T) {
	t.Parallel()
	spec := esv1.AWSProvider{
		SessionTags:       []*esv1.AWSTag{{Key: "team", Value: "payments"}},
		SessionTagsPolicy: "Custom",
		CustomSessionTags: map[string]string{"z": "2", "a": "1"},
	}
	var got []string
	for _, tag := range sessionTags(StoreAccess(secretStore("ns1", spec)), "ignored") {
		got = append(got, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
	}
	want := "team=payments esoNamespace=ns1 esoStoreName=aws esoStoreKind=SecretStore a=1 z=2"
	if strings.Join(got, " ") != want {
		t.Errorf("sessionTags = %s, want %s", strings.Join(got, " "), want)
	}
	spec.SessionTagsPolicy = "Simple"
	got = nil
	for _, tag := range sessionTags(StoreAccess(clusterSecretStore(spec)), "ns2") {
		got = append(got, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
	}
	want = "team=payments esoNamespace=ns2 esoStoreName=aws-cluster esoStoreKind=ClusterSecretStore"
	if strings.Join(got, " ") != want {
		t.Errorf("sessionTags = %s, want %s", strings.Join(got, " "), want)
	}
}

func TestNamespaceIsolation(t *testing.T) {
	t.Parallel()
	home := testenv.Namespace(t, controlPlane.Client, nil)
	other := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, other)
	serviceAccount(t, other, "reader", map[string]string{annotationRoleARN: "arn:aws:iam::123456789012:role/r"})
	createSecret(t, seedSecretsManager(sharedMoto), other+"/isolated", "isolated-value", nil)
	ctx := testContext(t)
	p := New(WithEndpoint(sharedMoto.Endpoint))

	crossAuth := staticAuth()
	crossAuth.SecretRef.AccessKeyID.Namespace = &other
	crossAuth.SecretRef.SecretAccessKey.Namespace = &other

	t.Run("SecretStore cannot read another namespace's Secret", func(t *testing.T) {
		store := secretStore(home, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: crossAuth})
		_, err := p.NewClient(ctx, store, controlPlane.Client, home)
		if err == nil || !strings.Contains(err.Error(), "spec.provider.aws.auth.secretRef.accessKeyIDSecretRef.namespace") {
			t.Fatalf("error = %v, want a namespace error naming the field", err)
		}
	})
	t.Run("SecretStore cannot use another namespace's ServiceAccount", func(t *testing.T) {
		store := secretStore(home, esv1.AWSProvider{
			Service: esv1.AWSServiceSecretsManager,
			Auth:    esv1.AWSAuth{JWTAuth: &esv1.AWSJWTAuth{ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "reader", Namespace: &other}}},
		})
		_, err := p.NewClient(ctx, store, controlPlane.Client, home)
		if err == nil || !strings.Contains(err.Error(), "spec.provider.aws.auth.jwt.serviceAccountRef.namespace") {
			t.Fatalf("error = %v, want a namespace error naming the field", err)
		}
	})
	t.Run("SecretStore without namespace reads its own namespace", func(t *testing.T) {
		store := secretStore(home, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: staticAuth()})
		_, err := p.NewClient(ctx, store, controlPlane.Client, home)
		if err == nil || !strings.Contains(err.Error(), home+"/aws-creds") {
			t.Fatalf("error = %v, want the Secret looked up in %s (where it does not exist)", err, home)
		}
	})
	t.Run("ClusterSecretStore may name the namespace", func(t *testing.T) {
		c := newClient(t, sharedMoto, clusterSecretStore(esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: crossAuth}), controlPlane.Client, home)
		if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: other + "/isolated"}); err != nil || string(got) != "isolated-value" {
			t.Fatalf("GetSecret = %q, %v", got, err)
		}
	})
	t.Run("ClusterSecretStore without namespace uses the one it acts for", func(t *testing.T) {
		store := clusterSecretStore(esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: staticAuth()})
		c := newClient(t, sharedMoto, store, controlPlane.Client, other)
		if got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: other + "/isolated"}); err != nil || string(got) != "isolated-value" {
			t.Fatalf("GetSecret = %q, %v", got, err)
		}
		if _, err := p.NewClient(ctx, store, controlPlane.Client, home); err == nil || !strings.Contains(err.Error(), home+"/aws-creds") {
			t.Fatalf("acting for %s: error = %v, want the Secret looked up in %s", home, err, home)
		}
	})
	t.Run("ClusterSecretStore without namespace, used outside any namespace", func(t *testing.T) {
		store := clusterSecretStore(esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: staticAuth()})
		if _, err := p.NewClient(ctx, store, controlPlane.Client, ""); !errors.Is(err, provider.ErrNeedsNamespace) {
			t.Fatalf("error = %v, want ErrNeedsNamespace", err)
		}
	})
}

// TestEndpointEnvironment uses no WithEndpoint: External Secrets Operator's per-service
// endpoint variables and the SDK's default credential chain (from the environment) must be
// enough. It sets process environment, so it is not parallel.
func TestEndpointEnvironment(t *testing.T) {
	moto := testenv.MustStartMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // overridden per service below
	t.Setenv(envSecretsManagerEndpoint, moto.Endpoint)
	t.Setenv(envSSMEndpoint, moto.Endpoint)
	t.Setenv(envSTSEndpoint, moto.Endpoint)
	createSecret(t, seedSecretsManager(moto), "env/secret", "from-env-endpoint", nil)
	putParameter(t, seedParameterStore(moto), "/env/param", "param-from-env-endpoint", "String", nil)
	ctx := testContext(t)
	role := "arn:aws:iam::123456789012:role/env-role"

	sm, err := New().NewClient(ctx, secretStore("default", esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Role: role}), controlPlane.Client, "default")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := sm.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "env/secret"}); err != nil || string(got) != "from-env-endpoint" {
		t.Fatalf("GetSecret = %q, %v", got, err)
	}
	if n := moto.Calls("AssumeRole"); n != 1 {
		t.Errorf("AssumeRole calls = %d, want 1 at the AWS_STS_ENDPOINT", n)
	}
	ps, err := New().NewClient(ctx, secretStore("default", esv1.AWSProvider{Service: esv1.AWSServiceParameterStore}), controlPlane.Client, "default")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ps.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "/env/param"}); err != nil || string(got) != "param-from-env-endpoint" {
		t.Fatalf("GetSecret = %q, %v", got, err)
	}
	if res, err := ps.Validate(ctx); err != nil || res != esv1.ValidationResultReady {
		t.Errorf("Validate = %v, %v; want Ready", res, err)
	}

	// Certificate Manager and the tagging API it finds pushed certificates with: moto
	// answers only through their variables (AWS_ENDPOINT_URL points nowhere).
	t.Setenv(envACMEndpoint, moto.Endpoint)
	t.Setenv(envTaggingEndpoint, moto.Endpoint)
	cm, err := New().NewClient(ctx, secretStore("default", esv1.AWSProvider{Service: esv1.AWSServiceCertificateManager}), controlPlane.Client, "default")
	if err != nil {
		t.Fatal(err)
	}
	missing := "arn:aws:acm:" + testRegion + ":123456789012:certificate/00000000-0000-0000-0000-000000000000"
	if _, err := cm.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: missing}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetSecret of a missing certificate = %v, want ErrNotFound from moto", err)
	}
	if exists, err := cm.(provider.Writer).SecretExists(ctx, provider.PushRef{RemoteKey: "env/cert"}); err != nil || exists {
		t.Errorf("SecretExists = %v, %v; want false from moto's tagging API", exists, err)
	}
}

func TestValidateUnreachable(t *testing.T) {
	t.Parallel()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	store := secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Auth: staticAuth()})
	zero := int32(0)
	store.Spec.RetrySettings = &esv1.SecretStoreRetrySettings{MaxRetries: &zero}
	// Nothing listens on port 1 of the loopback.
	c, err := New(WithEndpoint("http://127.0.0.1:1")).NewClient(testContext(t), store, controlPlane.Client, ns)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Validate(testContext(t))
	if err == nil || res != esv1.ValidationResultError {
		t.Fatalf("Validate = %v, %v; want Error", res, err)
	}
	_, err = c.GetSecret(testContext(t), esv1.ExternalSecretDataRemoteRef{Key: "x"})
	if err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("GetSecret error = %v; an unreachable service is not a missing secret", err)
	}
}

// TestCredentialChainsAreShared: the fetcher's client of a store, the change feed of the
// same store (which builds its own SDK configuration) and a generator resolving the same
// auth all draw on one credential chain: one TokenRequest and one AssumeRoleWithWebIdentity
// for the process, not one per caller. A store of another ServiceAccount gets a chain of
// its own. Building a new chain per Config (as before) makes the first check fail
// with 3 of each.
func TestCredentialChainsAreShared(t *testing.T) {
	t.Parallel()
	moto := testenv.MustStartMoto(t)
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	serviceAccount(t, ns, "reader", map[string]string{annotationRoleARN: "arn:aws:iam::123456789012:role/shared"})
	serviceAccount(t, ns, "other", map[string]string{annotationRoleARN: "arn:aws:iam::123456789012:role/other"})
	createSecret(t, seedSecretsManager(moto), "shared/db", "v", nil)
	kube := newTokenRequests(t)
	jwtStore := func(sa string) *esv1.SecretStore {
		return secretStore(ns, esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager,
			Auth: esv1.AWSAuth{JWTAuth: &esv1.AWSJWTAuth{ServiceAccountRef: &esv1.ServiceAccountSelector{Name: sa}}}})
	}
	p := NewSessions(WithEndpoint(moto.Endpoint))
	ctx := testContext(t)
	read := func(store esv1.GenericStore) {
		t.Helper()
		c, err := p.NewClient(ctx, store, kube, ns)
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		defer func() { _ = c.Close(ctx) }()
		if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "shared/db"}); err != nil {
			t.Fatalf("GetSecret: %v", err)
		}
	}
	read(jwtStore("reader"))
	cfg, err := p.Config(ctx, StoreAccess(jwtStore("reader")), kube, ns) // as the change feed does
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		t.Fatal(err)
	}
	read(jwtStore("reader"))
	if a, k := moto.Calls("AssumeRoleWithWebIdentity"), kube.count(); a != 1 || k != 1 {
		t.Errorf("three users of one store: %d AssumeRoleWithWebIdentity, %d TokenRequests; want 1 and 1", a, k)
	}
	read(jwtStore("other"))
	if a, k := moto.Calls("AssumeRoleWithWebIdentity"), kube.count(); a != 2 || k != 2 {
		t.Errorf("a store of another ServiceAccount: %d AssumeRoleWithWebIdentity, %d TokenRequests in all; want 2 and 2", a, k)
	}
}
