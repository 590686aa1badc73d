package gcpsm

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// TestServiceAccountKey checks that the key's project serves when projectID is empty, and
// that a key that is no service account key is refused without being quoted.
func TestServiceAccountKey(t *testing.T) {
	_, opts := startFake(t)
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "gcp-key", Namespace: "apps"}, Data: map[string][]byte{
		"good": []byte(`{"type":"service_account","project_id":"from-key","client_email":"r@from-key.iam.gserviceaccount.com"}`),
		"bad":  []byte(`{"type":"authorized_user","refresh_token":"do-not-quote"}`),
	}}
	kube := fake.NewClientBuilder().WithObjects(secret).Build()
	storeWith := func(key string) esv1.GenericStore {
		return gcpStore(esv1.GCPSMProvider{Auth: esv1.GCPSMAuth{SecretRef: &esv1.GCPSMAuthSecretRef{
			SecretAccessKey: esv1.SecretKeySelector{Name: "gcp-key", Key: key}}}})
	}
	c, err := New(WithClientOptions(opts...)).NewClient(context.Background(), storeWith("good"), kube, "apps")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close(context.Background()) }()
	if got := c.(*Client).parent(); got != "projects/from-key" {
		t.Errorf("parent = %q, want the key's project", got)
	}
	_, err = New(WithClientOptions(opts...)).NewClient(context.Background(), storeWith("bad"), kube, "apps")
	if err == nil || !strings.Contains(err.Error(), "secretAccessKeySecretRef") || strings.Contains(err.Error(), "do-not-quote") {
		t.Errorf("a user credential = %v, want a refusal naming the field and not the key", err)
	}
}
