package passbolt

import (
	"errors"
	"fmt"
	"net/url"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.passbolt"

// ValidateStore checks the store as written, without any call; errors name the field. As
// ESO's webhook, it needs host as an https URL and both auth references.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Passbolt == nil {
		return errors.New(field + ": required")
	}
	pb := spec.Provider.Passbolt
	var errs []error
	if pb.Host == "" {
		errs = append(errs, errors.New(field+".host: required: the server's address, https://passbolt.example.com"))
	} else if u, err := url.Parse(pb.Host); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s.host: %q is not an https URL; write https://<passbolt server>, as Passbolt is only served over TLS", field, pb.Host))
	}
	errs = append(errs, refErrors(store, &pb.Auth.PasswordSecretRef, field+".auth.passwordSecretRef", "the passphrase of the user's private key")...)
	errs = append(errs, refErrors(store, &pb.Auth.PrivateKeySecretRef, field+".auth.privateKeySecretRef", "the user's armored OpenPGP private key")...)
	if pb.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, pb.CAProvider, field+".caProvider")...)
	}
	return errors.Join(errs...)
}

func refErrors(store esv1.GenericStore, ref *esv1.SecretKeySelector, name, holds string) []error {
	if ref.Name == "" || ref.Key == "" {
		return []error{fmt.Errorf("%s: name and key are required: the Secret key that holds %s", name, holds)}
	}
	return provider.ValidateSecretKeyRef(store, ref, name)
}
