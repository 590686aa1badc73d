package kubernetes

import (
	"errors"
	"fmt"
	"net/url"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// ValidateStore checks the store's Kubernetes configuration as written, without any call.
// Each error names the offending field path.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Kubernetes == nil {
		return fmt.Errorf("%s: required", specField)
	}
	k := spec.Provider.Kubernetes
	var errs []error
	if u := k.Server.URL; u != "" && u != localServer {
		if parsed, err := url.Parse(u); err != nil || parsed.Scheme != "https" || parsed.Host == "" {
			errs = append(errs, fmt.Errorf("%s.server.url: %q is not an https URL (or kubernetes.default)", specField, u))
		}
	}
	if k.Server.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, k.Server.CAProvider, specField+".server.caProvider")...)
	}
	switch {
	case k.AuthRef != nil && k.Auth != nil:
		errs = append(errs, fmt.Errorf("%s: auth and authRef are mutually exclusive, set one", specField))
	case k.AuthRef != nil:
		errs = append(errs, provider.ValidateSecretKeyRef(store, k.AuthRef, specField+".authRef")...)
	case k.Auth == nil:
		errs = append(errs, fmt.Errorf("%s.auth: required: set serviceAccount, token or cert (Ferry never reads a store's Secrets with its own identity)", specField))
	default:
		errs = append(errs, validateAuth(store, k.Auth)...)
	}
	return errors.Join(errs...)
}

func validateAuth(store esv1.GenericStore, auth *esv1.KubernetesAuth) []error {
	const field = specField + ".auth"
	var set int
	var errs []error
	if auth.Token != nil {
		set++
		errs = append(errs, provider.ValidateSecretKeyRef(store, &auth.Token.BearerToken, field+".token.bearerToken")...)
	}
	if auth.Cert != nil {
		set++
		errs = append(errs, provider.ValidateSecretKeyRef(store, &auth.Cert.ClientCert, field+".cert.clientCert")...)
		errs = append(errs, provider.ValidateSecretKeyRef(store, &auth.Cert.ClientKey, field+".cert.clientKey")...)
	}
	if auth.ServiceAccount != nil {
		set++
		errs = append(errs, provider.ValidateServiceAccountRef(store, auth.ServiceAccount, field+".serviceAccount")...)
	}
	switch set {
	case 0:
		errs = append(errs, fmt.Errorf("%s: set one of serviceAccount, token or cert", field))
	case 1:
	default:
		errs = append(errs, fmt.Errorf("%s: serviceAccount, token and cert are mutually exclusive, set one", field))
	}
	return errs
}
