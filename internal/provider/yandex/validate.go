package yandex

import (
	"errors"
	"net"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// ValidateStore checks the store as written, without any call; errors name the field. As
// ESO, it needs a folderID to fetch by name. An apiEndpoint that is not host:port is an
// admitted mistake (ESO admits it too, and fails to connect). A store without
// authorizedKeySecretRef, which ESO serves with the token of the VM's service account from
// the metadata service, is a feature Ferry does not implement yet.
func (p *Provider) ValidateStore(store esv1.GenericStore) error {
	s := p.service.settings(store.GetSpec().Provider)
	if s == nil {
		return errors.New("spec.provider." + p.service.name + ": required")
	}
	var errs []error
	if e := s.apiEndpoint; e != "" {
		if _, port, err := net.SplitHostPort(e); err != nil || port == "" || strings.Contains(e, "/") {
			errs = append(errs, provider.AdmittedMistake("%s.apiEndpoint: %q is not host:port; write it without a scheme or path, as %s, or leave it out for that default",
				s.field, e, DefaultAPIEndpoint))
		}
	}
	if ref := s.auth.AuthorizedKeySecretRef; ref == nil {
		errs = append(errs, provider.FeatureNotImplemented("%s.auth.authorizedKeySecretRef: Ferry does not get tokens from the metadata service "+
			"of a Yandex Cloud VM yet; put a service account's authorized key (the JSON of `yc iam key create`) in a Secret and name it here", s.field))
	} else {
		errs = append(errs, provider.ValidateSecretKeyRef(store, ref, s.field+".auth.authorizedKeySecretRef")...)
	}
	if ca := s.caProvider; ca != nil {
		if ca.CertSecretRef == nil {
			errs = append(errs, errors.New(s.field+".caProvider.certSecretRef: required: the Secret key holding the PEM CA certificates that sign the API's certificates"))
		} else {
			errs = append(errs, provider.ValidateSecretKeyRef(store, ca.CertSecretRef, s.field+".caProvider.certSecretRef")...)
		}
	}
	if f := s.fetching; f != nil {
		switch {
		case (f.ByID == nil) == (f.ByName == nil):
			errs = append(errs, errors.New(s.field+".fetching: set exactly one of byID and byName"))
		case f.ByName != nil && f.ByName.FolderID == "":
			errs = append(errs, errors.New(s.field+".fetching.byName.folderID: required: the ID of the folder in which remoteRef.key is the name of a "+p.service.item))
		}
	}
	return errors.Join(errs...)
}
