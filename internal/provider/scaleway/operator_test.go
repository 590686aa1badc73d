package scaleway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// readyCondition is the Ready condition of a store or PushSecret, whose condition types
// differ.
type readyCondition struct {
	status          metav1.ConditionStatus
	reason, message string
}

// waitReady reads obj until ready finds its Ready condition at status, and returns the
// condition's message.
func waitReady(t *testing.T, obj client.Object, ready func() *readyCondition, status metav1.ConditionStatus) string {
	t.Helper()
	var msg string
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("%T %s Ready=%s", obj, obj.GetName(), status), func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return false, err
		}
		c := ready()
		if c == nil {
			return false, nil
		}
		msg = c.message
		return c.status == status, fmt.Errorf("%s: %s", c.reason, c.message)
	})
	return msg
}

func storeReady(store *esv1.SecretStore) func() *readyCondition {
	return func() *readyCondition {
		for _, c := range store.Status.Conditions {
			if c.Type == esv1.SecretStoreReady {
				return &readyCondition{c.Status, c.Reason, c.Message}
			}
		}
		return nil
	}
}

func pushReady(ps *esv1alpha1.PushSecret) func() *readyCondition {
	return func() *readyCondition {
		for _, c := range ps.Status.Conditions {
			if c.Type == "Ready" {
				return &readyCondition{c.Status, c.Reason, c.Message}
			}
		}
		return nil
	}
}

func waitSecret(t *testing.T, ns, name string, want map[string]string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "Secret "+name, func() (bool, error) {
		var s corev1.Secret
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
			return false, err
		}
		if len(s.Data) != len(want) {
			return false, fmt.Errorf("%d keys, want %d", len(s.Data), len(want))
		}
		for k, v := range want {
			if string(s.Data[k]) != v {
				return false, fmt.Errorf("key %q differs", k)
			}
		}
		return true, nil
	})
}

// TestThroughTheOperator runs a Scaleway SecretStore, several ExternalSecrets and two
// PushSecrets through a Ferry operator on a real kube-apiserver, against the in-process
// Secret Manager API: the store becomes Ready, each ExternalSecret writes the bytes it
// reads by name, path, id, extract and find, a push creates a tagged secret and its
// deletion (deletionPolicy Delete) removes it, and a push onto a secret Ferry did not
// create fails and leaves it as it was.
func TestThroughTheOperator(t *testing.T) {
	ctx := context.Background()
	f := startScaleway(t)
	dbID, _ := f.put("/", "db", []byte(`{"user":"admin","password":"pw-1"}`), "app")
	f.put("/team/a", "cert", []byte("-----BEGIN CERT-----"), "app")
	f.put("/", "theirs", []byte("keep-me"))
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "scaleway"},
		Data: map[string][]byte{"secret-key": []byte(testSecretKey)}})
	store := scalewayStore(f.srv.URL).(*esv1.SecretStore)
	store.Namespace = ns
	create(t, store)
	waitReady(t, store, storeReady(store), metav1.ConditionTrue)

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
		create(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, GenerateName: "es-"}, Spec: es})
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
		waitSecret(t, ns, es.Name, expect)
	}

	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("pushed-value")}})
	push := func(name, remoteKey string) *esv1alpha1.PushSecret {
		ps := &esv1alpha1.PushSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: esv1alpha1.PushSecretSpec{
				RefreshInterval: esv1.NewDuration(time.Hour),
				SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{{Name: store.Name, Kind: esv1.SecretStoreKind}},
				DeletionPolicy:  esv1alpha1.PushSecretDeletionPolicyDelete,
				Selector:        esv1alpha1.PushSecretSelector{Secret: &esv1alpha1.PushSecretSecret{Name: "source"}},
				Data: []esv1alpha1.PushSecretData{{Match: esv1alpha1.PushSecretMatch{SecretKey: "token",
					RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: remoteKey}}}},
			}}
		create(t, ps)
		return ps
	}
	ours := push("ours", "name:pushed-token")
	waitReady(t, ours, pushReady(ours), metav1.ConditionTrue)
	s := f.get("/", "pushed-token")
	if s == nil || len(s.Versions) != 1 || string(s.Versions[0].Data) != "pushed-value" || !slicesEqual(s.Tags, []string{OwnershipTag}) {
		t.Fatalf("pushed secret = %+v, want one version of the value, tagged %s", s, OwnershipTag)
	}
	theirs := push("theirs", "name:theirs")
	msg := waitReady(t, theirs, pushReady(theirs), metav1.ConditionFalse)
	if !strings.Contains(msg, "was not created by Ferry") {
		t.Errorf("the refused push says %q, want the reason", msg)
	}
	if s := f.get("/", "theirs"); s == nil || len(s.Versions) != 1 || string(s.Versions[0].Data) != "keep-me" {
		t.Errorf("a secret Ferry did not create was changed: %+v", s)
	}

	if err := k8s.Delete(ctx, ours); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "pushed secret deleted", func() (bool, error) {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(ours), ours)
		return apierrors.IsNotFound(err) && f.get("/", "pushed-token") == nil, err
	})
	if err := k8s.Delete(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "PushSecret theirs gone", func() (bool, error) {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(theirs), theirs)
		return apierrors.IsNotFound(err), err
	})
	if s := f.get("/", "theirs"); s == nil {
		t.Error("deleting a PushSecret deleted a secret Ferry did not create")
	}
}
