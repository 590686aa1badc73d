package scaleway

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

// TestThroughTheOperator runs a Scaleway SecretStore, several ExternalSecrets and two
// PushSecrets through a Ferry operator on a real kube-apiserver, against the in-process
// Secret Manager API: the store becomes Ready, each ExternalSecret writes the bytes it
// reads by name, path, id, extract and find, a push creates a tagged secret and its
// deletion (deletionPolicy Delete) removes it, and a push onto a secret Ferry did not
// create fails and leaves it as it was.
func TestThroughTheOperator(t *testing.T) {
	ctx := context.Background()
	f := startScaleway(t)
	dbID, _ := f.Put("/", "db", []byte(`{"user":"admin","password":"pw-1"}`), "app")
	f.Put("/team/a", "cert", []byte("-----BEGIN CERT-----"), "app")
	f.Put("/", "theirs", []byte("keep-me"))
	ns := testenv.Namespace(t, k8s, nil)
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "scaleway"},
		Data: map[string][]byte{"secret-key": []byte(testSecretKey)}})
	store := scalewayStore(f.URL).(*esv1.SecretStore)
	store.Namespace = ns
	operatortest.Create(t, k8s, store)
	operatortest.WaitReady(t, k8s, store, metav1.ConditionTrue)

	for _, es := range []esv1.ExternalSecretSpec{
		{Data: []esv1.ExternalSecretData{
			{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "name:db", Property: "user"}},
			{SecretKey: "cert", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "path:/team/a/cert"}},
		}},
		{Data: []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "id:" + dbID, Property: "password", Version: "1"}}}},
		{DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "name:db"}}}},
		{DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{Find: &esv1.ExternalSecretFind{Tags: map[string]string{"app": ""}}}}},
	} {
		es.SecretStoreRef = esv1.SecretStoreRef{Name: store.Name, Kind: esv1.SecretStoreKind}
		es.RefreshInterval = esv1.NewDuration(time.Hour)
		operatortest.Create(t, k8s, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "es-"}, Spec: es})
	}
	var list esv1.ExternalSecretList
	if err := k8s.List(ctx, &list, client.InNamespace(ns)); err != nil || len(list.Items) != 4 {
		t.Fatalf("listing ExternalSecrets: %d, %v", len(list.Items), err)
	}
	// GenerateName hides which is which: each is told by the shape of its spec.
	byShape := map[int]map[string]string{
		2: {"user": "admin", "cert": "-----BEGIN CERT-----"},
		1: {"password": "pw-1"},
	}
	for _, es := range list.Items {
		var expect map[string]string
		switch {
		case len(es.Spec.Data) > 0:
			expect = byShape[len(es.Spec.Data)]
		case es.Spec.DataFrom[0].Extract != nil:
			expect = map[string]string{"user": "admin", "password": "pw-1"}
		default:
			expect = map[string]string{"db": `{"user":"admin","password":"pw-1"}`, "cert": "-----BEGIN CERT-----"}
		}
		operatortest.WaitSecretData(t, k8s, ns, es.Name, expect)
	}

	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("pushed-value")}})
	push := func(name, remoteKey string) *esv1alpha1.PushSecret {
		ps := operatortest.PushSecret(ns, name, store.Name, "source", "token", remoteKey)
		operatortest.Create(t, k8s, ps)
		return ps
	}
	ours := push("ours", "name:pushed-token")
	operatortest.WaitReady(t, k8s, ours, metav1.ConditionTrue)
	s := f.Get("/", "pushed-token")
	if s == nil || len(s.Versions) != 1 || string(s.Versions[0].Data) != "pushed-value" || !slicesEqual(s.Tags, []string{OwnershipTag}) {
		t.Fatalf("pushed secret = %+v, want one version of the value, tagged %s", s, OwnershipTag)
	}
	theirs := push("theirs", "name:theirs")
	msg := operatortest.WaitReady(t, k8s, theirs, metav1.ConditionFalse).Message
	if !strings.Contains(msg, "was not created by Ferry") {
		t.Errorf("the refused push says %q, want the reason", msg)
	}
	if s := f.Get("/", "theirs"); s == nil || len(s.Versions) != 1 || string(s.Versions[0].Data) != "keep-me" {
		t.Errorf("a secret Ferry did not create was changed: %+v", s)
	}

	operatortest.WaitGone(t, k8s, ours)
	if f.Get("/", "pushed-token") != nil {
		t.Error("deleting the PushSecret did not delete the secret it pushed")
	}
	operatortest.WaitGone(t, k8s, theirs)
	if s := f.Get("/", "theirs"); s == nil {
		t.Error("deleting a PushSecret deleted a secret Ferry did not create")
	}
}
