package yandex

import (
	"context"
	"encoding/json"
	"testing"

	lockbox "github.com/yandex-cloud/go-genproto/yandex/cloud/lockbox/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

const testKeyID = "ajekey0example"

// fixture is the in-process Yandex Cloud with an authorized key of the test service
// account in the Secret yc-auth, and the test CA in the Secret yc-ca, of namespace apps.
type fixture struct {
	*fakeYandex
	kube client.Client
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	f := startYandex(t)
	keyFile := f.newKey(t, testKeyID, testServiceAccount)
	kube := fake.NewClientBuilder().WithObjects(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "yc-auth", Namespace: "apps"}, Data: map[string][]byte{"authorized-key": keyFile}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "yc-ca", Namespace: "apps"}, Data: map[string][]byte{"ca.crt": f.CAPEM}},
	).Build()
	return fixture{fakeYandex: f, kube: kube}
}

// lockboxStore is a SecretStore of the fixture's Lockbox; folder set fetches by name.
func (f fixture) lockboxStore(folder string) esv1.GenericStore {
	spec := &esv1.YandexLockboxProvider{APIEndpoint: f.APIEndpoint, Auth: f.auth(), CAProvider: f.ca(), Fetching: fetching(folder)}
	return store(&esv1.SecretStoreProvider{YandexLockbox: spec})
}

func (f fixture) certificateStore(folder string) esv1.GenericStore {
	spec := &esv1.YandexCertificateManagerProvider{APIEndpoint: f.APIEndpoint, Auth: f.auth(), CAProvider: f.ca(), Fetching: fetching(folder)}
	return store(&esv1.SecretStoreProvider{YandexCertificateManager: spec})
}

func (f fixture) auth() esv1.YandexAuth {
	return esv1.YandexAuth{AuthorizedKeySecretRef: &esv1.SecretKeySelector{Name: "yc-auth", Key: "authorized-key"}}
}

func (f fixture) ca() *esv1.CertSecretCAProvider {
	return &esv1.CertSecretCAProvider{CertSecretRef: &esv1.SecretKeySelector{Name: "yc-ca", Key: "ca.crt"}}
}

func fetching(folder string) *esv1.YandexFetching {
	if folder == "" {
		return nil
	}
	return &esv1.YandexFetching{ByName: &esv1.YandexFetchByName{FolderID: folder}}
}

func store(p *esv1.SecretStoreProvider) esv1.GenericStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "yandex", Namespace: "apps"},
		Spec:       esv1.SecretStoreSpec{Provider: p},
	}
}

// entries makes the Lockbox entries of a conformance secret: one text entry per pair.
func entries(s conformance.Secret) []*lockbox.Payload_Entry {
	out := make([]*lockbox.Payload_Entry, 0, len(s.Data))
	for k, v := range s.Data {
		out = append(out, text(k, v))
	}
	return out
}

// TestConformanceByID runs the provider suite against the in-process Lockbox, reading
// secrets by ID (the default fetching) with an authorized key; logins are counted at IAM.
func TestConformanceByID(t *testing.T) {
	f := newFixture(t)
	conformance.Run(t, conformance.Backend{
		Provider:  NewLockbox(WithClock(f.Now)),
		Kube:      f.kube,
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return f.lockboxStore("") },
		Seed: func(_ *testing.T, key string, s conformance.Secret) string {
			return f.PutSecret(key, testFolder, "name-of-"+key, entries(s)...)
		},
		Delete:   func(_ *testing.T, key string) { f.DeleteSecret(key) },
		Versions: true,
		Find:     conformance.FindNone,
		Logins:   f.Logins,
	})
}

// TestConformanceByName runs the suite reading secrets by name in the store's folder. GetEx
// gives every entry as bytes, so the whole secret is, as in ESO, the JSON object of the
// entries' base64 strings.
func TestConformanceByName(t *testing.T) {
	f := newFixture(t)
	conformance.Run(t, conformance.Backend{
		Provider:  NewLockbox(WithClock(f.Now)),
		Kube:      f.kube,
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return f.lockboxStore(testFolder) },
		Seed: func(_ *testing.T, key string, s conformance.Secret) string {
			return f.PutSecret("id-of-"+key, testFolder, key, entries(s)...)
		},
		Delete: func(_ *testing.T, key string) { f.DeleteSecret("id-of-" + key) },
		Whole: func(s conformance.Secret) string {
			whole := map[string][]byte{}
			for k, v := range s.Data {
				whole[k] = []byte(v)
			}
			raw, _ := json.Marshal(whole)
			return string(raw)
		},
		Versions: true,
		Find:     conformance.FindNone,
		Logins:   f.Logins,
	})
}

// setSecret writes one key of a Secret of namespace apps, creating it when missing.
func setSecret(t *testing.T, f fixture, name, key string, value []byte) {
	t.Helper()
	ctx := context.Background()
	var s corev1.Secret
	err := f.kube.Get(ctx, client.ObjectKey{Namespace: "apps", Name: name}, &s)
	if err != nil {
		s = corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "apps"}, Data: map[string][]byte{key: value}}
		if err := f.kube.Create(ctx, &s); err != nil {
			t.Fatal(err)
		}
		return
	}
	s.Data[key] = value
	if err := f.kube.Update(ctx, &s); err != nil {
		t.Fatal(err)
	}
}
