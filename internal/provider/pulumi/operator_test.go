package pulumi

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

// TestThroughTheOperator runs Pulumi SecretStores, ExternalSecrets and PushSecrets through
// a Ferry operator on a real kube-apiserver, against the in-process ESC API: the store
// becomes Ready and ExternalSecrets write the bytes they read by path and by extract; a
// store with a wrong token reports ValidationFailed and its ExternalSecret writes nothing;
// a PushSecret sets a value marked as Ferry's and its deletion removes it; a PushSecret
// onto a value someone else wrote fails and leaves it.
func TestThroughTheOperator(t *testing.T) {
	f := startESC(t)
	f.Set("db", map[string]any{"user": "admin", "password": "pw-1", "port": 5432})
	ns := testenv.Namespace(t, k8s, nil)
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pulumi-access-token"},
		Data: map[string][]byte{"token": []byte(testToken), "wrong": []byte("pul-not-a-token")}})
	store := pulumiStore(f.APIURL())
	store.Namespace = ns
	operatortest.Create(t, k8s, store)
	operatortest.WaitReady(t, k8s, store, metav1.ConditionTrue)

	byPath := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-path"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: store.Name, Kind: esv1.SecretStoreKind}, RefreshInterval: esv1.NewDuration(time.Hour),
		Data: []esv1.ExternalSecretData{
			{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db.user"}},
			{SecretKey: "port", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db.port"}},
		}}}
	extract := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "extract"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: store.Name, Kind: esv1.SecretStoreKind}, RefreshInterval: esv1.NewDuration(time.Hour),
		DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "db"}}}}}
	operatortest.Create(t, k8s, byPath)
	operatortest.Create(t, k8s, extract)
	operatortest.WaitSecretData(t, k8s, ns, "by-path", map[string]string{"user": "admin", "port": "5432"})
	operatortest.WaitSecretData(t, k8s, ns, "extract", map[string]string{"user": "admin", "password": "pw-1", "port": "5432"})

	bad := pulumiStore(f.APIURL())
	bad.Name, bad.Namespace = "pulumi-wrong-token", ns
	bad.Spec.Provider.Pulumi.Auth.AccessToken.SecretRef.Key = "wrong"
	operatortest.Create(t, k8s, bad)
	c := operatortest.WaitReady(t, k8s, bad, metav1.ConditionFalse)
	if c.Reason != esv1.ReasonValidationFailed || !strings.Contains(c.Message, "HTTP 401") || strings.Contains(c.Message, "pul-not-a-token") {
		t.Errorf("the store with a wrong token is %s: %q", c.Reason, c.Message)
	}
	badES := byPath.DeepCopy()
	badES.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "on-wrong-token"}
	badES.Spec.SecretStoreRef.Name = bad.Name
	operatortest.WaitNotSynced(t, k8s, badES)

	// A push sets a value Ferry marks as its own; a push onto a value someone else wrote
	// fails and leaves it; deleting the PushSecrets removes only Ferry's.
	f.Set("theirs", "keep-me")
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("pushed-value")}})
	ours := operatortest.PushSecret(ns, "ours", store.Name, "source", "token", "app.token")
	operatortest.Create(t, k8s, ours)
	operatortest.WaitReady(t, k8s, ours, metav1.ConditionTrue)
	if def := f.DefinitionText(); !strings.Contains(def, "token: "+OwnershipComment) {
		t.Errorf("the pushed value is not marked as Ferry's:\n%s", def)
	}
	if v, ok := lookupPath(f.Resolved(), "app.token"); !ok || v != "pushed-value" {
		t.Errorf("the environment holds %v at app.token, want the pushed value", v)
	}
	theirs := operatortest.PushSecret(ns, "theirs", store.Name, "source", "token", "theirs")
	operatortest.Create(t, k8s, theirs)
	if c := operatortest.WaitReady(t, k8s, theirs, metav1.ConditionFalse); !strings.Contains(c.Message, "was not created by Ferry") {
		t.Errorf("the refused push says %q, want the reason", c.Message)
	}
	operatortest.WaitGone(t, k8s, ours)
	operatortest.WaitGone(t, k8s, theirs)
	resolved := f.Resolved()
	if _, ok := lookupPath(resolved, "app.token"); ok {
		t.Error("deleting the PushSecret left the value it pushed")
	}
	if v, _ := lookupPath(resolved, "theirs"); v != "keep-me" {
		t.Errorf("a value Ferry did not write is now %v", v)
	}
}
