package security

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// recordingReader records the namespaces it is asked to read from, and finds nothing.
type recordingReader struct{ namespaces []string }

func (r *recordingReader) Get(_ context.Context, key client.ObjectKey, _ client.Object, _ ...client.GetOption) error {
	r.namespaces = append(r.namespaces, key.Namespace)
	return apierrors.NewNotFound(schema.GroupResource{}, key.Name)
}

func (r *recordingReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	r.namespaces = append(r.namespaces, "<list>")
	return nil
}

// TestHelpersNeverReadAnotherNamespace is the second line of defence behind
// ValidateStore: every provider reads its auth objects through these helpers, and they
// refuse a namespaced store's reference into another namespace before any read, even for a
// store that skipped validation (created before the webhook ran). A ClusterSecretStore's
// reference is followed, by design.
func TestHelpersNeverReadAnotherNamespace(t *testing.T) {
	other := "other-tenant"
	ctx := context.Background()
	reads := map[string]func(kube client.Reader, store esv1.GenericStore) error{
		"SecretKeyValue": func(kube client.Reader, store esv1.GenericStore) error {
			_, err := provider.SecretKeyValue(ctx, kube, store, "tenant", esv1.SecretKeySelector{Name: "s", Key: "k", Namespace: &other}, "f")
			return err
		},
		"ServiceAccount": func(kube client.Reader, store esv1.GenericStore) error {
			_, err := provider.ServiceAccount(ctx, kube, store, "tenant", esv1.ServiceAccountSelector{Name: "sa", Namespace: &other}, "f")
			return err
		},
		"SecretData": func(kube client.Reader, store esv1.GenericStore) error {
			_, err := provider.SecretData(ctx, kube, store, "tenant", "s", &other, "f")
			return err
		},
		"ConfigMapKeyValue": func(kube client.Reader, store esv1.GenericStore) error {
			_, err := provider.ConfigMapKeyValue(ctx, kube, store, "tenant", "cm", &other, "k", "f")
			return err
		},
		"CAProviderPEM (ConfigMap)": func(kube client.Reader, store esv1.GenericStore) error {
			_, err := provider.CAProviderPEM(ctx, kube, store, "tenant",
				&esv1.CAProvider{Type: esv1.CAProviderTypeConfigMap, Name: "ca", Key: "ca.crt", Namespace: &other}, "f")
			return err
		},
		"CertPool (Secret)": func(kube client.Reader, store esv1.GenericStore) error {
			_, err := provider.CertPool(ctx, kube, store, "tenant", nil,
				&esv1.CAProvider{Type: esv1.CAProviderTypeSecret, Name: "ca", Key: "ca.crt", Namespace: &other}, "f")
			return err
		},
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			namespaced := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "tenant", Name: "s"}}
			namespaced.Kind = esv1.SecretStoreKind
			kube := &recordingReader{}
			err := read(kube, namespaced)
			if err == nil || !strings.Contains(err.Error(), "may only reference its own namespace") {
				t.Errorf("SecretStore: err = %v, want a refusal", err)
			}
			if len(kube.namespaces) != 0 {
				t.Errorf("SecretStore: read namespaces %v before refusing", kube.namespaces)
			}

			cluster := &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "c"}}
			cluster.Kind = esv1.ClusterSecretStoreKind
			kube = &recordingReader{}
			_ = read(kube, cluster)
			if len(kube.namespaces) != 1 || kube.namespaces[0] != other {
				t.Errorf("ClusterSecretStore: read namespaces %v, want [%s]", kube.namespaces, other)
			}
		})
	}
}
