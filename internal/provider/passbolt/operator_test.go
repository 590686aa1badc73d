package passbolt

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

// TestThroughTheOperator runs Passbolt SecretStores and an ExternalSecret through a Ferry
// operator on a real kube-apiserver, against the in-process HTTPS Passbolt: the store
// becomes Ready (a GPGAuth login); the ExternalSecret writes the bytes it reads by
// property, by extract and by find; a store whose passphrase does not unlock the key is
// not Ready, names the field and quotes no passphrase, and its ExternalSecret writes
// nothing.
func TestThroughTheOperator(t *testing.T) {
	f := startPassbolt(t, testUser())
	f.withMetadataKey(t)
	db := f.addV4(t, "password-and-description", entry{Name: "orders-db", Username: "app", Password: "pw-9f2c", URI: "postgres://db"})
	cache := f.addV5(t, entry{Name: "orders-cache", Username: "cache", Password: "pw-77aa"}, true)
	f.addV4(t, "password-and-description", entry{Name: "billing-db", Password: "pw-other"})

	ns := testenv.Namespace(t, k8s, nil)
	const wrong = "wrong-passphrase-5150"
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "passbolt"},
		Data: map[string][]byte{"privateKey": armoredPrivate(t, testUser(), testPassphrase), "password": []byte(testPassphrase), "wrong": []byte(wrong)}})
	store := func(name, passKey string) *esv1.SecretStore {
		spec := pbStore(f).GetSpec().DeepCopy()
		spec.Provider.Passbolt.Auth.PasswordSecretRef.Key = passKey
		return &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: *spec}
	}
	good := store("passbolt", "password")
	operatortest.Create(t, k8s, good)
	operatortest.WaitReady(t, k8s, good, metav1.ConditionTrue)

	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: good.Name, Kind: esv1.SecretStoreKind}, RefreshInterval: esv1.NewDuration(time.Hour),
		Data: []esv1.ExternalSecretData{
			{SecretKey: "db-password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: db, Property: "password"}},
			{SecretKey: "db-uri", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: db, Property: "uri"}},
		},
		DataFrom: []esv1.ExternalSecretDataFromRemoteRef{
			{Extract: &esv1.ExternalSecretDataRemoteRef{Key: cache}},
			{Find: &esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^orders-db$"}}},
		}}}
	operatortest.Create(t, k8s, es)
	operatortest.WaitSecretData(t, k8s, ns, "orders", map[string]string{
		"db-password": "pw-9f2c", "db-uri": "postgres://db",
		"name": "orders-cache", "username": "cache", "password": "pw-77aa", "uri": "", "description": "",
		db: `{"name":"orders-db","username":"app","password":"pw-9f2c","uri":"postgres://db","description":""}`,
	})

	bad := store("passbolt-wrong", "wrong")
	operatortest.Create(t, k8s, bad)
	c := operatortest.WaitReady(t, k8s, bad, metav1.ConditionFalse)
	if !strings.Contains(c.Message, "auth.passwordSecretRef: the passphrase does not unlock the private key") ||
		strings.Contains(c.Message, wrong) || strings.Contains(c.Message, testPassphrase) {
		t.Errorf("the store with the wrong passphrase is %s: %q", c.Reason, c.Message)
	}
	badES := es.DeepCopy()
	badES.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "on-wrong-passphrase"}
	badES.Spec.SecretStoreRef.Name = bad.Name
	operatortest.WaitNotSynced(t, k8s, badES)
}
