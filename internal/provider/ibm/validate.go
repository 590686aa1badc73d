package ibm

import (
	"errors"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.ibm"

// ValidateStore checks the store as written, without any call; errors name the field. As
// ESO's webhook, it needs serviceUrl and exactly one auth method; unlike it, it does not
// open the container auth token file, which is read by the controller, not the webhook.
// URLs that are not http(s) are admitted mistakes: ESO admits them.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.IBM == nil {
		return errors.New(field + ": required")
	}
	ibm := spec.Provider.IBM
	var errs []error
	switch {
	case ibm.ServiceURL == "":
		errs = append(errs, errors.New(field+".serviceUrl: required: the instance's endpoint, https://<instance id>.<region>.secrets-manager.appdomain.cloud"))
	case !provider.HTTPURL(ibm.ServiceURL):
		errs = append(errs, provider.AdmittedMistake("%s.serviceUrl: %q is not an http(s) URL; write https://<instance id>.<region>.secrets-manager.appdomain.cloud", field, ibm.ServiceURL))
	}
	auth := ibm.Auth
	switch {
	case (auth.SecretRef == nil) == (auth.ContainerAuth == nil):
		errs = append(errs, errors.New(field+".auth: set exactly one of secretRef and containerAuth"))
	case auth.SecretRef != nil:
		if auth.SecretRef.SecretAPIKeySecretRef == nil {
			errs = append(errs, errors.New(field+".auth.secretRef.secretApiKeySecretRef: required: the Secret key holding an IBM Cloud API key"))
		} else {
			errs = append(errs, provider.ValidateSecretKeyRef(store, auth.SecretRef.SecretAPIKeySecretRef, field+".auth.secretRef.secretApiKeySecretRef")...)
		}
		errs = append(errs, validateIAMEndpoint(auth.SecretRef.IAMEndpoint, field+".auth.secretRef.iamEndpoint")...)
	default:
		if auth.ContainerAuth.Profile == "" {
			errs = append(errs, errors.New(field+".auth.containerAuth.profile: required: the name of the IAM trusted profile"))
		}
		errs = append(errs, validateIAMEndpoint(auth.ContainerAuth.IAMEndpoint, field+".auth.containerAuth.iamEndpoint")...)
	}
	return errors.Join(errs...)
}

func validateIAMEndpoint(endpoint, name string) []error {
	if endpoint != "" && !provider.HTTPURL(endpoint) {
		return []error{provider.AdmittedMistake("%s: %q is not an http(s) URL; leave it out for %s", name, endpoint, DefaultIAMEndpoint)}
	}
	return nil
}
