package onboardbase

import (
	"errors"
	"fmt"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.onboardbase"

// ValidateStore checks the store as written, without any call; errors name the field. As
// ESO's webhook, it refuses a Secret reference without a name; a reference without a key,
// an apiHost that is not an http(s) URL and an empty project or environment are admitted
// mistakes, since ESO admits them.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Onboardbase == nil {
		return errors.New(field + ": required")
	}
	o := spec.Provider.Onboardbase
	var errs []error
	errs = append(errs, validateRef(store, o.Auth.APIKeyRef, field+".auth.apiKeyRef", "API key")...)
	errs = append(errs, validateRef(store, o.Auth.PasscodeRef, field+".auth.passcodeRef", "API key's passcode")...)
	if o.APIHost != "" && !provider.HTTPURL(o.APIHost) {
		errs = append(errs, provider.AdmittedMistake("%s.apiHost: %q is not an http(s) URL; write the API's address, e.g. %s, or leave it out for that default",
			field, o.APIHost, DefaultAPIHost))
	}
	if o.Project == "" {
		errs = append(errs, provider.AdmittedMistake("%s.project: empty: name the Onboardbase project to read", field))
	}
	if o.Environment == "" {
		errs = append(errs, provider.AdmittedMistake("%s.environment: empty: name the project's environment to read, e.g. development", field))
	}
	return errors.Join(errs...)
}

// validateRef checks a reference to the Secret key holding what: ESO refuses it without a
// name and admits it without a key, which the schema leaves optional.
func validateRef(store esv1.GenericStore, ref esv1.SecretKeySelector, name, what string) []error {
	var errs []error
	if ref.Name == "" {
		errs = append(errs, fmt.Errorf("%s.name: required: the Secret that holds the %s", name, what))
	}
	if ref.Key == "" {
		errs = append(errs, provider.AdmittedMistake("%s.key: empty: name the key of the Secret that holds the %s", name, what))
	}
	if err := provider.ValidateRefNamespace(store, ref.Namespace, name); err != nil {
		errs = append(errs, err)
	}
	return errs
}
