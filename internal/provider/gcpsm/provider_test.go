package gcpsm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

func newTestClient(t *testing.T) (*fakeSecretManager, *Client) {
	t.Helper()
	f, opts := startFake(t)
	c, err := New(WithClientOptions(opts...)).NewClient(context.Background(),
		gcpStore(esv1.GCPSMProvider{ProjectID: testProject}), fake.NewClientBuilder().Build(), "apps")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return f, c.(*Client)
}

func TestMetadataPolicyFetch(t *testing.T) {
	f, c := newTestClient(t)
	seed(t, f, "projects/"+testProject, "labelled", conformance.Secret{
		Data: map[string]string{"k": "v"}, Tags: map[string]string{"team": "payments", "env": "prod"},
	})
	ctx := context.Background()
	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "labelled", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "labels.team"})
	if err != nil || string(got) != "payments" {
		t.Fatalf("label team = %q, %v; want payments", got, err)
	}
	m, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{Key: "labelled", MetadataPolicy: esv1.MetadataPolicyFetch, Property: "labels"})
	if err != nil || len(m) != 2 || string(m["env"]) != "prod" {
		t.Fatalf("labels map = %v, %v", m, err)
	}
	if _, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "absent", MetadataPolicy: esv1.MetadataPolicyFetch}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("metadata of a missing secret = %v, want ErrNotFound", err)
	}
}

func TestPushSecret(t *testing.T) {
	f, c := newTestClient(t)
	ctx := context.Background()
	ref := provider.PushRef{RemoteKey: "pushed"}
	if ok, err := c.SecretExists(ctx, ref); ok || err != nil {
		t.Fatalf("SecretExists before a push = %v, %v", ok, err)
	}
	if err := c.PushSecret(ctx, []byte("one"), ref); err != nil {
		t.Fatal(err)
	}
	if err := c.PushSecret(ctx, []byte("one"), ref); err != nil {
		t.Fatal(err)
	}
	if n := f.Calls("AddSecretVersion"); n != 1 {
		t.Errorf("pushing the same value twice added %d versions, want 1", n)
	}
	meta, _ := f.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: "projects/" + testProject + "/secrets/pushed"})
	if meta.GetLabels()[provider.ManagedByTag] != provider.ManagedByValue {
		t.Errorf("pushed secret labels = %v, want managed-by", meta.GetLabels())
	}
	// A property push keeps the other keys of the JSON object.
	pref := provider.PushRef{RemoteKey: "object", Property: "user"}
	if err := c.PushSecret(ctx, []byte("admin"), pref); err != nil {
		t.Fatal(err)
	}
	if err := c.PushSecret(ctx, []byte("pw"), provider.PushRef{RemoteKey: "object", Property: "password"}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: "object"})
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]string
	if err := json.Unmarshal(got, &obj); err != nil || obj["user"] != "admin" || obj["password"] != "pw" {
		t.Fatalf("object after two property pushes = %s", got)
	}
	if err := c.DeleteSecret(ctx, pref); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.SecretExists(ctx, pref); ok {
		t.Error("the deleted property still exists")
	}
	if ok, _ := c.SecretExists(ctx, provider.PushRef{RemoteKey: "object", Property: "password"}); !ok {
		t.Error("deleting one property removed the other")
	}
	if err := c.DeleteSecret(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.SecretExists(ctx, ref); ok || err != nil {
		t.Errorf("SecretExists after delete = %v, %v", ok, err)
	}
	if err := c.DeleteSecret(ctx, ref); err != nil {
		t.Errorf("deleting a deleted secret: %v", err)
	}
	// A secret Ferry did not create is neither overwritten nor deleted.
	seed(t, f, "projects/"+testProject, "foreign", conformance.Secret{Data: map[string]string{"a": "b"}})
	if err := c.PushSecret(ctx, []byte("x"), provider.PushRef{RemoteKey: "foreign"}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("push to an unmanaged secret = %v, want ErrNotManaged", err)
	}
	if err := c.DeleteSecret(ctx, provider.PushRef{RemoteKey: "foreign"}); !errors.Is(err, provider.ErrNotManaged) {
		t.Errorf("delete of an unmanaged secret = %v, want ErrNotManaged", err)
	}
}

func TestRegionalNames(t *testing.T) {
	c := &Client{project: "p", location: "europe-west1"}
	if got := c.versionName("db", ""); got != "projects/p/locations/europe-west1/secrets/db/versions/latest" {
		t.Errorf("regional version name = %q", got)
	}
	if got := c.versionName("projects/q/secrets/x", "3"); got != "projects/q/secrets/x/versions/3" {
		t.Errorf("full resource name = %q", got)
	}
}

func TestValidateStore(t *testing.T) {
	ns := "other"
	for _, tt := range []struct {
		name string
		spec esv1.GCPSMProvider
		want string
	}{
		{"default credentials", esv1.GCPSMProvider{ProjectID: "p"}, ""},
		{"no project", esv1.GCPSMProvider{}, "spec.provider.gcpsm.projectID"},
		{"bad location", esv1.GCPSMProvider{ProjectID: "p", Location: "Europe West"}, "spec.provider.gcpsm.location"},
		{"key in another namespace", esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{SecretRef: &esv1.GCPSMAuthSecretRef{
			SecretAccessKey: esv1.SecretKeySelector{Name: "k", Key: "k", Namespace: &ns}}}}, "secretAccessKeySecretRef.namespace"},
		{"workload identity without cluster", esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{WorkloadIdentity: &esv1.GCPWorkloadIdentity{
			ServiceAccountRef: esv1.ServiceAccountSelector{Name: "sa"}}}}, "workloadIdentity.clusterName"},
		{"federation without a source", esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{WorkloadIdentityFederation: &esv1.GCPWorkloadIdentityFederation{}}},
			"workloadIdentityFederation: set exactly one of credConfig, serviceAccountRef and awsSecurityCredentials"},
		{"federation without an audience", esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{WorkloadIdentityFederation: &esv1.GCPWorkloadIdentityFederation{
			ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa"}}}}, "workloadIdentityFederation.audience: required with serviceAccountRef"},
		{"federation audience not a pool", esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{WorkloadIdentityFederation: &esv1.GCPWorkloadIdentityFederation{
			Audience: "sts.googleapis.com", ServiceAccountRef: &esv1.ServiceAccountSelector{Name: "sa"}}}}, `audience: "sts.googleapis.com" is not a workload identity pool provider`},
		{"federation AWS keys in another namespace", esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{WorkloadIdentityFederation: &esv1.GCPWorkloadIdentityFederation{
			Audience:               "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/aws",
			AwsSecurityCredentials: &esv1.AwsCredentialsConfig{Region: "eu-west-1", AwsCredentialsSecretRef: esv1.SecretReference{Name: "aws", Namespace: &ns}}}}},
			"awsSecurityCredentials.awsCredentialsSecretRef.namespace"},
		{"federation from a credential configuration", esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{WorkloadIdentityFederation: &esv1.GCPWorkloadIdentityFederation{
			CredConfig: &esv1.ConfigMapReference{Name: "wif", Key: "config.json"}}}}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Provider{}.ValidateStore(gcpStore(tt.spec))
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("ValidateStore = %v, want an error naming %q", err, tt.want)
			}
		})
	}
}

// TestWorkloadIdentity checks the exchange against in-process STS and IAM Credentials
// servers: the Kubernetes token goes to STS with the cluster's pool, the federated token
// to generateAccessToken, and the result is reused until it expires.
func TestWorkloadIdentity(t *testing.T) {
	var stsCalls, iamCalls atomic.Int32
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stsCalls.Add(1)
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		wantAud := "identitynamespace:cluster-proj.svc.id.goog:https://container.googleapis.com/v1/projects/cluster-proj/locations/europe-west1/clusters/prod"
		if form.Get("audience") != wantAud || form.Get("subject_token") == "" ||
			form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange" ||
			form.Get("subject_token_type") != "urn:ietf:params:oauth:token-type:jwt" {
			http.Error(w, "bad exchange", http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "federated", "expires_in": 3600, "token_type": "Bearer"})
	}))
	defer sts.Close()
	iam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iamCalls.Add(1)
		if r.URL.Path != "/v1/projects/-/serviceAccounts/reader@p.iam.gserviceaccount.com:generateAccessToken" ||
			r.Header.Get("Authorization") != "Bearer federated" {
			http.Error(w, "bad impersonation", http.StatusForbidden)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"accessToken": "sa-token", "expireTime": time.Now().Add(time.Hour).Format(time.RFC3339)})
	}))
	defer iam.Close()

	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: "apps",
		Annotations: map[string]string{GCPServiceAccountAnnotation: "reader@p.iam.gserviceaccount.com"}}}
	kube := fake.NewClientBuilder().WithObjects(sa).Build()
	p := New(WithEndpoints(Endpoints{STS: sts.URL, IAMCredentials: iam.URL}))
	store := gcpStore(esv1.GCPSMProvider{ProjectID: "p", Auth: esv1.GCPSMAuth{WorkloadIdentity: &esv1.GCPWorkloadIdentity{
		ServiceAccountRef: esv1.ServiceAccountSelector{Name: "reader"},
		ClusterLocation:   "europe-west1", ClusterName: "prod", ClusterProjectID: "cluster-proj",
	}}})
	ts, err := p.workloadIdentityTokenSource(context.Background(), StoreAccess(store), kube, "apps")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if tok.AccessToken != "sa-token" {
			t.Fatalf("token = %q, want the service account's", tok.AccessToken)
		}
	}
	if stsCalls.Load() != 1 || iamCalls.Load() != 1 {
		t.Errorf("5 tokens made %d STS and %d IAM calls, want 1 each", stsCalls.Load(), iamCalls.Load())
	}

	// A refused exchange fails the client, naming the step and not the token.
	p = New(WithEndpoints(Endpoints{STS: sts.URL, IAMCredentials: iam.URL}))
	sa.Annotations[GCPServiceAccountAnnotation] = "other@p.iam.gserviceaccount.com"
	kube = fake.NewClientBuilder().WithObjects(sa).Build()
	_, err = p.workloadIdentityTokenSource(context.Background(), StoreAccess(store), kube, "apps")
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") || strings.Contains(err.Error(), "federated") {
		t.Errorf("refused impersonation = %v", err)
	}
}
