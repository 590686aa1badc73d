package gcpsm

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

const testProject = "ferry-test"

func gcpStore(spec esv1.GCPSMProvider) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "gcp", Namespace: "apps"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{GCPSM: &spec}},
	}
}

// seed writes a JSON object of data as a new version of key (creating the secret with
// labels when missing) directly on the fake, and returns the version's number.
func seed(t *testing.T, f *fakeSecretManager, parent, key string, s conformance.Secret) string {
	t.Helper()
	value, err := json.Marshal(s.Data)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	name := parent + "/secrets/" + key
	if _, err := f.GetSecret(ctx, &secretmanagerpb.GetSecretRequest{Name: name}); err != nil {
		secret := &secretmanagerpb.Secret{Labels: s.Tags, Replication: &secretmanagerpb.Replication{
			Replication: &secretmanagerpb.Replication_Automatic_{Automatic: &secretmanagerpb.Replication_Automatic{}}}}
		if _, err := f.CreateSecret(ctx, &secretmanagerpb.CreateSecretRequest{Parent: parent, SecretId: key, Secret: secret}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := f.AddSecretVersion(ctx, &secretmanagerpb.AddSecretVersionRequest{Parent: name, Payload: &secretmanagerpb.SecretPayload{Data: value}})
	if err != nil {
		t.Fatal(err)
	}
	return v.GetName()[strings.LastIndex(v.GetName(), "/")+1:]
}

// TestConformance runs the provider suite through the official client against the
// in-process gRPC server.
func TestConformance(t *testing.T) {
	f, opts := startFake(t)
	parent := "projects/" + testProject
	conformance.Run(t, conformance.Backend{
		Provider:  New(WithClientOptions(opts...)),
		Kube:      fake.NewClientBuilder().Build(),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return gcpStore(esv1.GCPSMProvider{ProjectID: testProject}) },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			return seed(t, f, parent, key, s)
		},
		Delete: func(t *testing.T, key string) {
			if _, err := f.DeleteSecret(context.Background(), &secretmanagerpb.DeleteSecretRequest{Name: parent + "/secrets/" + key}); err != nil {
				t.Fatal(err)
			}
		},
		Versions: true,
		Find:     conformance.FindByNameAndTags,
	})
}
