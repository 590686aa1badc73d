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
		errs = append(errs, provider.FeatureNotImplemented("%s.auth.ntlm: NTLM authentication is not supported by Ferry yet", specField))
	}
	return errors.Join(errs...)
}
