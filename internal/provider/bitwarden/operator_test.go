package bitwarden

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestThroughTheOperator runs Bitwarden SecretStores, ExternalSecrets and PushSecrets
// through a Ferry operator on a real kube-apiserver, against the in-process SDK server:
// the store becomes Ready and ExternalSecrets write the bytes they read by ID, by name
// and by find; a store with a wrong token reports ValidationFailed and its
// ExternalSecret does not sync; a push creates a secret carrying Ferry's line and its
// deletion removes it; a push onto a secret Ferry did not create fails and leaves it.
func TestThroughTheOperator(t *testing.T) {
	ctx := context.Background()
	f := startSDKServer(t)
	dbID := f.Put(testProject, "db", `{"user":"admin","password":"pw-1"}`, "")
	f.Put(testProject, "db_url", "postgres://db:5432", "")
	f.Put(testProject, "theirs", "keep-me", "set by hand")
	ns := testenv.Namespace(t, k8s, nil)
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bitwarden-access-token"},
		Data: map[string][]byte{"token": []byte(testToken), "wrong": []byte("0.not-a-token")}})
	store := bitwardenStore(f.URL, string(f.CertificatePEM()))
	store.Namespace = ns
	operatortest.Create(t, k8s, store)
	operatortest.WaitReady(t, k8s, store, metav1.ConditionTrue)

	for _, es := range []esv1.ExternalSecretSpec{
		{Data: []esv1.ExternalSecretData{
			{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "user"}},
			{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: dbID, Property: "password"}},
		}},
		{DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{Find: &esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^db"}}}}},
	} {
		es.SecretStoreRef = esv1.SecretStoreRef{Name: store.Name, Kind: esv1.SecretStoreKind}
		es.RefreshInterval = esv1.NewDuration(time.Hour)
		operatortest.Create(t, k8s, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "es-"}, Spec: es})
	}
	var list esv1.ExternalSecretList
	if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil || len(list.Items) != 2 {
		t.Fatalf("listing ExternalSecrets: %d, %v", len(list.Items), err)
	}
	for _, es := range list.Items {
		expect := map[string]string{"user": "admin", "password": "pw-1"}
		if len(es.Spec.DataFrom) > 0 {
			expect = map[string]string{"db": `{"user":"admin","password":"pw-1"}`, "db_url": "postgres://db:5432"}
		}
		operatortest.WaitSecretData(t, k8s, ns, es.Name, expect)
	}

	// A wrong token: the store says why, and its ExternalSecret writes nothing.
	bad := bitwardenStore(f.URL, string(f.CertificatePEM()))
	bad.Name, bad.Namespace = "bitwarden-wrong-token", ns
	bad.Spec.Provider.BitwardenSecretsManager.Auth.SecretRef.Credentials.Key = "wrong"
	operatortest.Create(t, k8s, bad)
	c := operatortest.WaitReady(t, k8s, bad, metav1.ConditionFalse)
	if c.Reason != esv1.ReasonValidationFailed || !strings.Contains(c.Message, "failed to login to bitwarden using access token") ||
		strings.Contains(c.Message, "0.not-a-token") {
		t.Errorf("the store with a wrong token is %s: %q", c.Reason, c.Message)
	}
	badES := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "on-wrong-token"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef:  esv1.SecretStoreRef{Name: bad.Name, Kind: esv1.SecretStoreKind},
		RefreshInterval: esv1.NewDuration(time.Hour),
		Data:            []esv1.ExternalSecretData{{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db"}}},
	}}
	operatortest.WaitNotSynced(t, k8s, badES)

	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("pushed-value")}})
	push := func(name, remoteKey string) *esv1alpha1.PushSecret {
		ps := operatortest.PushSecret(ns, name, store.Name, "source", "token", remoteKey)
		operatortest.Create(t, k8s, ps)
		return ps
	}
	ours := push("ours", "pushed-token")
	operatortest.WaitReady(t, k8s, ours, metav1.ConditionTrue)
	if s := f.Named(testProject, "pushed-token"); len(s) != 1 || s[0].Value != "pushed-value" || s[0].Note != OwnershipLine {
		t.Fatalf("pushed secret = %+v, want the value with the note %s", s, OwnershipLine)
	}
	theirs := push("theirs", "theirs")
	if c := operatortest.WaitReady(t, k8s, theirs, metav1.ConditionFalse); !strings.Contains(c.Message, "was not created by Ferry") {
		t.Errorf("the refused push says %q, want the reason", c.Message)
	}
	if s := f.Named(testProject, "theirs"); len(s) != 1 || s[0].Value != "keep-me" || s[0].Note != "set by hand" {
		t.Errorf("a secret Ferry did not create was changed: %+v", s)
	}

	operatortest.WaitGone(t, k8s, ours)
	if len(f.Named(testProject, "pushed-token")) != 0 {
		t.Error("deleting the PushSecret did not delete the secret it pushed")
	}
	operatortest.WaitGone(t, k8s, theirs)
	if s := f.Named(testProject, "theirs"); len(s) != 1 {
		t.Error("deleting a PushSecret deleted a secret Ferry did not create")
	}
}
