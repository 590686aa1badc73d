package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// ValidateStore checks the store's webhook configuration as written, without any call:
// required fields, templates that parse, and references into the store's own namespace.
// Each error names the offending field path.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Webhook == nil {
		return fmt.Errorf("%s: required", specField)
	}
	w := spec.Provider.Webhook
	var errs []error
	if w.URL == "" {
		errs = append(errs, fmt.Errorf("%s.url: required", specField))
	}
	switch strings.ToUpper(w.Method) {
	case "", http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead:
	default:
		errs = append(errs, fmt.Errorf("%s.method: %q is not an HTTP method", specField, w.Method))
	}
	if w.Timeout != nil && w.Timeout.Duration < 0 {
		errs = append(errs, fmt.Errorf("%s.timeout: must not be negative", specField))
	}
	if _, err := parseTemplates(w.URL, w.Body, w.Result.JSONPath, w.Headers); err != nil {
		errs = append(errs, err)
	}
	names := map[string]bool{"remoteRef": true}
	for i, s := range w.Secrets {
		field := fmt.Sprintf("%s.secrets[%d]", specField, i)
		switch {
		case s.Name == "":
			errs = append(errs, fmt.Errorf("%s.name: required", field))
		case names[s.Name]:
			errs = append(errs, fmt.Errorf("%s.name: %q is already used by the templates", field, s.Name))
		}
		names[s.Name] = true
		if s.SecretRef.Name == "" {
			errs = append(errs, fmt.Errorf("%s.secretRef.name: required", field))
		}
		if err := provider.ValidateRefNamespace(store, s.SecretRef.Namespace, field+".secretRef"); err != nil {
			errs = append(errs, err)
		}
	}
	if w.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, w.CAProvider, specField+".caProvider")...)
	}
	if w.Auth != nil && w.Auth.NTLM != nil {
		errs = append(errs, validateNTLM(store, w.Auth.NTLM)...)
	}
	return errors.Join(errs...)
}

// validateNTLM checks the Secret keys auth.ntlm names. ESO's schema requires both
// selectors but neither their name nor their key, and ESO's webhook admits either left out,
// so a missing one is an admitted mistake: a warning at admission, the store not Ready.
func validateNTLM(store esv1.GenericStore, auth *esv1.NTLMProtocol) []error {
	var errs []error
	for _, ref := range ntlmRefs(auth) {
		if ref.selector.Name == "" {
			errs = append(errs, provider.AdmittedMistake("%s.name: required: name the Secret that holds the %s", ref.field, ref.holds))
		}
		if ref.selector.Key == "" {
			errs = append(errs, provider.AdmittedMistake("%s.key: required: name the key that holds the %s", ref.field, ref.holds))
		}
		if err := provider.ValidateRefNamespace(store, ref.selector.Namespace, ref.field); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// ntlmRef is one of the two Secret keys of auth.ntlm.
type ntlmRef struct {
	selector esv1.SecretKeySelector
	field    string
	// holds says what the key holds, for messages.
	holds string
}

func ntlmRefs(auth *esv1.NTLMProtocol) [2]ntlmRef {
	field := specField + ".auth.ntlm"
	return [2]ntlmRef{
		{selector: auth.UserName, field: field + ".usernameSecret", holds: "user name"},
		{selector: auth.Password, field: field + ".passwordSecret", holds: "password"},
	}
}
