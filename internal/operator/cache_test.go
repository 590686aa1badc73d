package operator_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestCachedExternalSecretsLeaveKubectlsCopy: an ExternalSecret applied with kubectl carries
// a second copy of its manifest in kubectl.kubernetes.io/last-applied-configuration, which
// nothing in Ferry reads. The cache keeps the object without it (nor its managed fields),
// while the object in the API keeps it through a sync: Ferry only patches ExternalSecrets,
// and never writes back what it left out of its cache.
func TestCachedExternalSecretsLeaveKubectlsCopy(t *testing.T) {
	ctx, mgr := startOperator(t, operator.Options{})
	ns := testenv.Namespace(t, cp.Client, nil)
	operatortest.Create(t, cp.Client, &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "store"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{
			Data: []esv1.FakeProviderData{{Key: "db", Value: "v1"}}}}}})
	const applied = `{"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","metadata":{"name":"app"}}`
	es := &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "app", Labels: map[string]string{"team": "a"},
			Annotations: map[string]string{corev1.LastAppliedConfigAnnotation: applied, "owner": "platform"}},
		Spec: esv1.ExternalSecretSpec{
			RefreshInterval: esv1.NewDuration(time.Hour),
			SecretStoreRef:  esv1.SecretStoreRef{Name: "store", Kind: esv1.SecretStoreKind},
			Data:            []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db"}}},
		}}
	operatortest.Create(t, cp.Client, es)
	operatortest.WaitReady(t, cp.Client, es, metav1.ConditionTrue)
	operatortest.WaitSecretData(t, cp.Client, ns, "app", map[string]string{"password": "v1"})

	if got := es.Annotations[corev1.LastAppliedConfigAnnotation]; got != applied {
		t.Errorf("the API's ExternalSecret lost kubectl's annotation after a sync: %q", got)
	}
	var cached esv1.ExternalSecret
	if err := mgr.GetCache().Get(ctx, client.ObjectKeyFromObject(es), &cached); err != nil {
		t.Fatal(err)
	}
	if _, ok := cached.Annotations[corev1.LastAppliedConfigAnnotation]; ok {
		t.Error("the cached ExternalSecret holds kubectl's last-applied-configuration")
	}
	if len(cached.ManagedFields) != 0 {
		t.Errorf("the cached ExternalSecret holds %d managed fields entries", len(cached.ManagedFields))
	}
	if cached.Annotations["owner"] != "platform" || cached.Labels["team"] != "a" {
		t.Errorf("the cached ExternalSecret lost the user's own metadata: labels %v, annotations %v", cached.Labels, cached.Annotations)
	}
}
