package yandex

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
)

func TestValidateStore(t *testing.T) {
	key := &esv1.SecretKeySelector{Name: "yc-auth", Key: "authorized-key"}
	other := "other"
	for _, tt := range []struct {
		name  string
		spec  esv1.YandexLockboxProvider
		want  string
		class error
	}{
		{"minimal", esv1.YandexLockboxProvider{Auth: esv1.YandexAuth{AuthorizedKeySecretRef: key}}, "", nil},
		{"full", esv1.YandexLockboxProvider{APIEndpoint: "api.cloud.yandex.net:443", Auth: esv1.YandexAuth{AuthorizedKeySecretRef: key},
			CAProvider: &esv1.CertSecretCAProvider{CertSecretRef: &esv1.SecretKeySelector{Name: "ca", Key: "ca.crt"}},
			Fetching:   &esv1.YandexFetching{ByName: &esv1.YandexFetchByName{FolderID: "b1g"}}}, "", nil},
		{"no key", esv1.YandexLockboxProvider{}, "auth.authorizedKeySecretRef: Ferry does not get tokens from the metadata service", provider.ErrFeatureNotImplemented},
		{"key without name", esv1.YandexLockboxProvider{Auth: esv1.YandexAuth{AuthorizedKeySecretRef: &esv1.SecretKeySelector{Key: "k"}}},
			"spec.provider.yandexlockbox.auth.authorizedKeySecretRef.name: required", nil},
		{"key elsewhere", esv1.YandexLockboxProvider{Auth: esv1.YandexAuth{AuthorizedKeySecretRef: &esv1.SecretKeySelector{Name: "k", Key: "k", Namespace: &other}}},
			"may only reference its own namespace", nil},
		{"endpoint with scheme", esv1.YandexLockboxProvider{APIEndpoint: "https://api.cloud.yandex.net", Auth: esv1.YandexAuth{AuthorizedKeySecretRef: key}},
			"apiEndpoint: \"https://api.cloud.yandex.net\" is not host:port", provider.ErrAdmittedMistake},
		{"byName without folder", esv1.YandexLockboxProvider{Auth: esv1.YandexAuth{AuthorizedKeySecretRef: key},
			Fetching: &esv1.YandexFetching{ByName: &esv1.YandexFetchByName{}}}, "fetching.byName.folderID: required", nil},
		{"both fetchings", esv1.YandexLockboxProvider{Auth: esv1.YandexAuth{AuthorizedKeySecretRef: key},
			Fetching: &esv1.YandexFetching{ByID: &esv1.YandexFetchByID{}, ByName: &esv1.YandexFetchByName{FolderID: "b1g"}}}, "set exactly one of byID and byName", nil},
		{"caProvider without ref", esv1.YandexLockboxProvider{Auth: esv1.YandexAuth{AuthorizedKeySecretRef: key}, CAProvider: &esv1.CertSecretCAProvider{}},
			"caProvider.certSecretRef: required", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			s := &esv1.SecretStore{TypeMeta: metav1.TypeMeta{Kind: esv1.SecretStoreKind}, ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "apps"},
				Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{YandexLockbox: &spec}}}
			conformance.CheckStoreError(t, NewLockbox().ValidateStore(s), tt.want, tt.class)
		})
	}
	// The certificate provider checks the same fields under its own name.
	s := &esv1.SecretStore{TypeMeta: metav1.TypeMeta{Kind: esv1.SecretStoreKind}, ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{YandexCertificateManager: &esv1.YandexCertificateManagerProvider{
			Fetching: &esv1.YandexFetching{ByName: &esv1.YandexFetchByName{}}, Auth: esv1.YandexAuth{AuthorizedKeySecretRef: key}}}}}
	conformance.CheckStoreError(t, NewCertificateManager().ValidateStore(s), "spec.provider.yandexcertificatemanager.fetching.byName.folderID: required", nil)
}

// TestAuthorizedKeyFile: what is wrong with the Secret's key file is said without quoting it.
func TestAuthorizedKeyFile(t *testing.T) {
	for _, tt := range []struct{ name, file, want string }{
		{"not JSON", "-----BEGIN PRIVATE KEY-----", "not the JSON of an authorized key"},
		{"no id", `{"service_account_id":"aje","private_key":"x"}`, "has no id"},
		{"user account", `{"id":"aje1","user_account_id":"aje2","private_key":"x"}`, "a user account's"},
		{"no account", `{"id":"aje1","private_key":"x"}`, "has no service_account_id"},
		{"no PEM", `{"id":"aje1","service_account_id":"aje2","private_key":"s3cr3t-material"}`, "private_key holds no PEM block"},
		{"not a key", `{"id":"aje1","service_account_id":"aje2","private_key":"-----BEGIN PRIVATE KEY-----\nczNjcjN0\n-----END PRIVATE KEY-----\n"}`,
			"not a PKCS #8 or PKCS #1 private key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseAuthorizedKey([]byte(tt.file), "auth.authorizedKeySecretRef")
			if err == nil || !containsAll(err.Error(), "auth.authorizedKeySecretRef", tt.want) {
				t.Errorf("parseAuthorizedKey = %v, want %q", err, tt.want)
			}
			if err != nil && (containsAll(err.Error(), "s3cr3t") || containsAll(err.Error(), "czNjcjN0")) {
				t.Errorf("the error quotes the file: %v", err)
			}
		})
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
