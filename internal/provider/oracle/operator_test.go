package oracle

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestThroughTheOperator runs OCI Vault SecretStores, ExternalSecrets and a PushSecret
// through a Ferry operator on a real kube-apiserver, against the in-process OCI: the store
// becomes Ready; an ExternalSecret writes the bytes it reads by property, by stage and by
// extract and find; a PushSecret creates a tagged secret and schedules its deletion when
// deleted; a store whose key is not the user's reports ValidationFailed without the key,
// and its ExternalSecret writes nothing; an InstancePrincipal store, without auth, becomes
// Ready through the in-process instance metadata and auth services, and its ExternalSecret
// writes the bytes it reads; so does a Workload store with a serviceAccountRef, whose token
// (requested from the kube-apiserver) the in-process OKE workload identity endpoint checks
// with a TokenReview.
func TestThroughTheOperator(t *testing.T) {
	f := startOCI(t)
	operatorOCI.Store(f)
	f.AddKey(testKeyID, &apiKey(t, 0).PublicKey)
	f.Put("orders-db", []byte(`{"user":"app","password":"pw-old"}`), nil)
	f.Put("orders-db", []byte(`{"user":"app","password":"pw-9f2c"}`), nil)
	f.Put("orders-config", []byte(`{"region":"eu-1","replicas":"3"}`), map[string]string{"team": "orders"})
	f.Put("orders-flags", []byte(`{"beta":"on"}`), map[string]string{"team": "orders"})
	ns := testenv.Namespace(t, k8s, nil)
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "oci-key"},
		Data: map[string][]byte{"privateKey": pkcs1PEM(apiKey(t, 0)), "other": pkcs1PEM(apiKey(t, 1)), "fingerprint": []byte(testFingerprint)}})
	store := func(name, keyKey string) *esv1.SecretStore {
		s, _ := userStore(nil)
		spec := s.GetSpec().DeepCopy()
		spec.Provider.Oracle.Auth.SecretRef.PrivateKey.Key = keyKey
		return &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: *spec}
	}
	good := store("oracle", "privateKey")
	operatortest.Create(t, k8s, good)
	operatortest.WaitReady(t, k8s, good, metav1.ConditionTrue)

	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: good.Name, Kind: esv1.SecretStoreKind}, RefreshInterval: esv1.NewDuration(time.Hour),
		Data: []esv1.ExternalSecretData{
			{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "orders-db", Property: "password"}},
			{SecretKey: "previous", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "orders-db", Property: "password", Version: "PREVIOUS"}},
		},
		DataFrom: []esv1.ExternalSecretDataFromRemoteRef{
			{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "orders-config"}},
			{Find: &esv1.ExternalSecretFind{Tags: map[string]string{"team": "orders"}, Name: &esv1.FindName{RegExp: "flags$"}}},
		}}}
	operatortest.Create(t, k8s, es)
	operatortest.WaitSecretData(t, k8s, ns, "orders", map[string]string{"password": "pw-9f2c", "previous": "pw-old",
		"region": "eu-1", "replicas": "3", "orders-flags": `{"beta":"on"}`})

	bad := store("oracle-wrong-key", "other")
	operatortest.Create(t, k8s, bad)
	c := operatortest.WaitReady(t, k8s, bad, metav1.ConditionFalse)
	if c.Reason != esv1.ReasonValidationFailed || !strings.Contains(c.Message, "OCI refused the request signature") || strings.Contains(c.Message, "PRIVATE KEY") {
		t.Errorf("the store with the wrong key is %s: %q", c.Reason, c.Message)
	}
	badES := es.DeepCopy()
	badES.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "on-wrong-key"}
	badES.Spec.SecretStoreRef.Name = bad.Name
	operatortest.WaitNotSynced(t, k8s, badES)

	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("tok-31ab")}})
	push := operatortest.PushSecret(ns, "push", good.Name, "source", "token", "pushed-token")
	operatortest.Create(t, k8s, push)
	pushed := func() string {
		s, ok := f.Secret("pushed-token")
		if !ok || s.PendingDeletion {
			return ""
		}
		return string(s.Versions[len(s.Versions)-1]) + " " + s.Tags["managed-by"]
	}
	testenv.Eventually(t, 20*time.Second, "the value pushed to OCI", func() (bool, error) {
		return pushed() == "tok-31ab external-secrets", nil
	})
	operatortest.WaitGone(t, k8s, push)
	if got := pushed(); got != "" {
		t.Errorf("after the PushSecret is deleted, OCI holds %q, want the secret scheduled for deletion", got)
	}

	instance := store("oracle-instance", "privateKey")
	instance.Spec.Provider.Oracle.PrincipalType = "InstancePrincipal"
	instance.Spec.Provider.Oracle.Auth = nil
	operatortest.Create(t, k8s, instance)
	operatortest.WaitReady(t, k8s, instance, metav1.ConditionTrue)
	onInstance := es.DeepCopy()
	onInstance.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "on-instance"}
	onInstance.Spec.SecretStoreRef.Name = instance.Name
	onInstance.Spec.DataFrom = nil
	operatortest.Create(t, k8s, onInstance)
	operatortest.WaitSecretData(t, k8s, ns, "on-instance", map[string]string{"password": "pw-9f2c", "previous": "pw-old"})
	if f.Count("x509") != 1 {
		t.Errorf("the operator federated %d times, want 1: the instance's token is reused", f.Count("x509"))
	}

	// OKE checks the ServiceAccount token with the cluster: here a TokenReview on the test's
	// kube-apiserver, for the audience "api".
	operatortest.Create(t, k8s, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "oci-reader"}})
	endpoint, saDir := startProxymux(t, f, func(token string) bool {
		review := &authv1.TokenReview{Spec: authv1.TokenReviewSpec{Token: token, Audiences: []string{"api"}}}
		if err := k8s.Create(context.Background(), review); err != nil {
			t.Errorf("TokenReview: %v", err)
			return false
		}
		return review.Status.Authenticated && review.Status.User.Username == "system:serviceaccount:"+ns+":oci-reader"
	})
	ca, err := os.ReadFile(filepath.Join(saDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(operatorSADir, "ca.crt"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	operatorProxymux.Store(&endpoint)
	workload := store("oracle-workload", "privateKey")
	workload.Spec.Provider.Oracle.PrincipalType = "Workload"
	workload.Spec.Provider.Oracle.Auth = nil
	workload.Spec.Provider.Oracle.ServiceAccountRef = &esv1.ServiceAccountSelector{Name: "oci-reader"}
	operatortest.Create(t, k8s, workload)
	operatortest.WaitReady(t, k8s, workload, metav1.ConditionTrue)
	onWorkload := onInstance.DeepCopy()
	onWorkload.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "on-workload"}
	onWorkload.Spec.SecretStoreRef.Name = workload.Name
	operatortest.Create(t, k8s, onWorkload)
	operatortest.WaitSecretData(t, k8s, ns, "on-workload", map[string]string{"password": "pw-9f2c", "previous": "pw-old"})
	if f.Count("proxymux") != 1 {
		t.Errorf("the operator exchanged %d ServiceAccount tokens, want 1", f.Count("proxymux"))
	}
}
