package secretserver

import (
	"errors"
	"fmt"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// ValidateStore checks the store's Secret Server configuration as written, without any
// call. Each error names the offending field and what to set.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.SecretServer == nil {
		return fmt.Errorf("%s: required", specField)
	}
	s := spec.Provider.SecretServer
	var errs []error
	if s.ServerURL == "" {
		errs = append(errs, fmt.Errorf("%s.serverURL: required: set the address of Secret Server, e.g. https://example.secretservercloud.com or https://host/SecretServer", specField))
	} else if !provider.HTTPURL(s.ServerURL) {
		// ESO admits any serverURL; its SDK then fails each call.
		errs = append(errs, provider.AdmittedMistake("%s.serverURL: %q is not an http(s) URL with a host, such as https://host/SecretServer", specField, s.ServerURL))
	}
	switch {
	case s.Token != nil:
		// ESO uses the token and ignores username and password when both are set.
		errs = append(errs, provider.ValidateInlineOrSecret(store, inlineOrSecret(s.Token), specField+".token")...)
	case s.Username == nil && s.Password == nil:
		errs = append(errs, fmt.Errorf("%s: set token, or username and password", specField))
	case s.Username == nil:
		errs = append(errs, fmt.Errorf("%s.username: required with password (or set token instead)", specField))
	case s.Password == nil:
		errs = append(errs, fmt.Errorf("%s.password: required with username (or set token instead)", specField))
	default:
		errs = append(errs, provider.ValidateInlineOrSecret(store, inlineOrSecret(s.Username), specField+".username")...)
		errs = append(errs, provider.ValidateInlineOrSecret(store, inlineOrSecret(s.Password), specField+".password")...)
	}
	if s.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, s.CAProvider, specField+".caProvider")...)
	}
	return errors.Join(errs...)
}
