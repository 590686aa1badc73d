package yandex

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestThroughTheOperator runs Yandex stores and ExternalSecrets through a Ferry operator on
// a real kube-apiserver, against the in-process Yandex Cloud: a Lockbox store reading by ID
// and a Certificate Manager store reading by name become Ready and their ExternalSecrets
// write the bytes the services hold; a store whose authorized key IAM does not know reports
// ValidationFailed in IAM's words, without the key.
func TestThroughTheOperator(t *testing.T) {
	f := startYandex(t)
	f.SetLive()
	ns := testenv.Namespace(t, k8s, nil)
	keyFile := f.newKey(t, testKeyID, testServiceAccount)
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "yc-auth"},
		Data: map[string][]byte{"authorized-key": keyFile}})
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "yc-ca"},
		Data: map[string][]byte{"ca.crt": f.CAPEM}})
	f.PutSecret("e6qdb", testFolder, "db", text("user", "admin"), text("password", "pw-1"), binary("blob", []byte{0, 1, 2}))
	f.PutCert("fpqweb", testFolder, "web", []string{leafPEM, issuerPEM}, keyPEM)

	fx := fixture{fakeYandex: f}
	lockboxStore := fx.lockboxStore("").(*esv1.SecretStore)
	lockboxStore.Name, lockboxStore.Namespace = "lockbox", ns
	certStore := fx.certificateStore(testFolder).(*esv1.SecretStore)
	certStore.Name, certStore.Namespace = "certificates", ns
	for _, s := range []*esv1.SecretStore{lockboxStore, certStore} {
		operatortest.Create(t, k8s, s)
		operatortest.WaitReady(t, k8s, s, metav1.ConditionTrue)
	}

	read := func(name, store string, data []esv1.ExternalSecretData, from ...esv1.ExternalSecretDataFromRemoteRef) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: esv1.ExternalSecretSpec{
			SecretStoreRef: esv1.SecretStoreRef{Name: store, Kind: esv1.SecretStoreKind}, RefreshInterval: esv1.NewDuration(time.Hour),
			Data: data, DataFrom: from}}
	}
	operatortest.Create(t, k8s, read("db", "lockbox",
		[]esv1.ExternalSecretData{{SecretKey: "db-password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "e6qdb", Property: "password"}}},
		esv1.ExternalSecretDataFromRemoteRef{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "e6qdb"}}))
	operatortest.Create(t, k8s, read("web", "certificates", []esv1.ExternalSecretData{
		{SecretKey: "tls.crt", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "web", Property: "chain"}},
		{SecretKey: "tls.key", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "web", Property: "privateKey"}},
	}))
	operatortest.WaitSecretData(t, k8s, ns, "db", map[string]string{"db-password": "pw-1", "user": "admin", "password": "pw-1", "blob": "\x00\x01\x02"})
	operatortest.WaitSecretData(t, k8s, ns, "web", map[string]string{
		"tls.crt": "-----BEGIN CERTIFICATE-----\nMIIBleaf\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIBissuer\n-----END CERTIFICATE-----\n",
		"tls.key": keyPEM,
	})

	// A key IAM does not know.
	unknown := f.newKey(t, "ajeunknown", testServiceAccount)
	f.ForgetKey("ajeunknown")
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "yc-unknown"},
		Data: map[string][]byte{"authorized-key": unknown}})
	refused := fx.lockboxStore("").(*esv1.SecretStore)
	refused.Name, refused.Namespace = "refused", ns
	refused.Spec.Provider.YandexLockbox.Auth.AuthorizedKeySecretRef.Name = "yc-unknown"
	operatortest.Create(t, k8s, refused)
	c := operatortest.WaitReady(t, k8s, refused, metav1.ConditionFalse)
	if c.Reason != esv1.ReasonValidationFailed || !strings.Contains(c.Message, "IAM did not accept the authorized key") ||
		strings.Contains(c.Message, "PRIVATE KEY") {
		t.Errorf("store refused is %s: %q, want ValidationFailed in IAM's words", c.Reason, c.Message)
	}
}
