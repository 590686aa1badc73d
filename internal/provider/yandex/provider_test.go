package yandex

import (
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// TestSameForEveryNamespace: a store is served by one client for every namespace only
// when its key's Secret, and its CA's, name their namespace.
func TestSameForEveryNamespace(t *testing.T) {
	ns := "secrets"
	for _, tt := range []struct {
		name     string
		key, ca  *esv1.SecretKeySelector
		want     bool
		noCAProv bool
	}{
		{"key without namespace", &esv1.SecretKeySelector{Name: "k", Key: "k"}, nil, false, true},
		{"key with namespace", &esv1.SecretKeySelector{Name: "k", Key: "k", Namespace: &ns}, nil, true, true},
		{"CA without namespace", &esv1.SecretKeySelector{Name: "k", Key: "k", Namespace: &ns}, &esv1.SecretKeySelector{Name: "ca", Key: "ca"}, false, false},
		{"both with namespace", &esv1.SecretKeySelector{Name: "k", Key: "k", Namespace: &ns}, &esv1.SecretKeySelector{Name: "ca", Key: "ca", Namespace: &ns}, true, false},
		{"no key", nil, nil, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := &esv1.YandexCertificateManagerProvider{Auth: esv1.YandexAuth{AuthorizedKeySecretRef: tt.key}}
			if !tt.noCAProv {
				spec.CAProvider = &esv1.CertSecretCAProvider{CertSecretRef: tt.ca}
			}
			s := &esv1.ClusterSecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{YandexCertificateManager: spec}}}
			if got := NewCertificateManager().SameForEveryNamespace(s); got != tt.want {
				t.Errorf("SameForEveryNamespace = %v, want %v", got, tt.want)
			}
		})
	}
}
