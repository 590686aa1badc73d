package secretserver

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestThroughTheOperator runs Secret Server SecretStores and ExternalSecrets through a
// Ferry operator on a real kube-apiserver, against the in-process Secret Server: the store
// becomes Ready and ExternalSecrets write the bytes they read by name, id and path and by
// extract; a store with a wrong password reports ValidationFailed without the password,
// and its ExternalSecret writes nothing. A PushSecret creates a secret from the metadata's
// template in its folder and deletes it with itself; one naming a secret outside that
// folder is refused and leaves it alone.
func TestThroughTheOperator(t *testing.T) {
	f := startSS(t)
	f.Put("/Apps", "orders-db", dbItems()...)
	f.Put("/Apps", "orders-config", dataItem(map[string]string{"region": "eu-1", "replicas": "3"}))
	ns := testenv.Namespace(t, k8s, nil)
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ss-creds"},
		Data: map[string][]byte{"password": []byte(f.Password), "wrong": []byte("not-the-password-5")}})
	store := func(name, passwordKey string) *esv1.SecretStore {
		return &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: esv1.SecretStoreSpec{
			Provider: &esv1.SecretStoreProvider{SecretServer: &esv1.SecretServerProvider{ServerURL: f.BaseURL(),
				Username: &esv1.SecretServerCredential{Value: f.Username},
				Password: &esv1.SecretServerCredential{SecretRef: &esv1.SecretKeySelector{Name: "ss-creds", Key: passwordKey}}}}}}
	}
	good := store("secretserver", "password")
	operatortest.Create(t, k8s, good)
	operatortest.WaitReady(t, k8s, good, metav1.ConditionTrue)

	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "orders"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: good.Name, Kind: esv1.SecretStoreKind}, RefreshInterval: esv1.NewDuration(time.Hour),
		Data: []esv1.ExternalSecretData{
			{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "orders-db", Property: "username"}},
			{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "41", Property: "Password"}},
			{SecretKey: "dsn", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "/Apps/orders-db", Property: "connection-string"}},
		},
		DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "orders-config"}}}}}
	operatortest.Create(t, k8s, es)
	operatortest.WaitSecretData(t, k8s, ns, "orders", map[string]string{"user": "admin", "password": "pw-9f2c",
		"dsn": "host=db port=5432", "region": "eu-1", "replicas": "3"})

	bad := store("secretserver-wrong-password", "wrong")
	operatortest.Create(t, k8s, bad)
	c := operatortest.WaitReady(t, k8s, bad, metav1.ConditionFalse)
	if c.Reason != esv1.ReasonValidationFailed || !strings.Contains(c.Message, "refused the login") || strings.Contains(c.Message, "not-the-password-5") {
		t.Errorf("the store with a wrong password is %s: %q", c.Reason, c.Message)
	}
	badES := es.DeepCopy()
	badES.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "on-wrong-password"}
	badES.Spec.SecretStoreRef.Name = bad.Name
	operatortest.WaitNotSynced(t, k8s, badES)

	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("pushed-value")}})
	push := func(name, remoteKey string) *esv1alpha1.PushSecret {
		ps := operatortest.PushSecret(ns, name, good.Name, "source", "token", remoteKey)
		ps.Spec.Data[0].Match.RemoteRef.Property = "password"
		ps.Spec.Data[0].Metadata = pushMeta(`{"folderId":12,"secretTemplateId":6010}`)
		operatortest.Create(t, k8s, ps)
		return ps
	}
	ours := push("ours", "pushed-db")
	operatortest.WaitReady(t, k8s, ours, metav1.ConditionTrue)
	if got, ok := f.Field("pushed-db", "password"); !ok || got != "pushed-value" {
		t.Errorf("pushed secret's password = %q, %v; want pushed-value", got, ok)
	}
	theirs := push("theirs", "41")
	if msg := operatortest.WaitReady(t, k8s, theirs, metav1.ConditionFalse).Message; !strings.Contains(msg, "was not created by Ferry") {
		t.Errorf("the refused push says %q, want the reason", msg)
	}
	operatortest.WaitGone(t, k8s, ours)
	if _, ok := f.Field("pushed-db", "password"); ok {
		t.Error("deleting the PushSecret did not delete the secret it created")
	}
	operatortest.WaitGone(t, k8s, theirs)
	if got, ok := f.Field("orders-db", "password"); !ok || got != "pw-9f2c" {
		t.Errorf("a secret outside the push's folder was changed or deleted: %q, %v", got, ok)
	}
}
