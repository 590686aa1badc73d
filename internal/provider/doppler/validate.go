package doppler

import (
	"errors"
	"fmt"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.doppler"

// ValidateStore checks the store as written, without any call; errors name the field.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Doppler == nil {
		return errors.New(field + ": required")
	}
	d := spec.Provider.Doppler
	var errs []error
	auth := d.Auth
	switch {
	case (auth.SecretRef == nil) == (auth.OIDCConfig == nil):
		errs = append(errs, errors.New(field+".auth: set exactly one of secretRef and oidcConfig"))
	case auth.SecretRef != nil:
		errs = append(errs, provider.ValidateSecretKeyRef(store, &auth.SecretRef.DopplerToken, field+".auth.secretRef.dopplerToken")...)
	default:
		if auth.OIDCConfig.Identity == "" {
			errs = append(errs, errors.New(field+".auth.oidcConfig.identity: required"))
		}
		if s := auth.OIDCConfig.ExpirationSeconds; s != nil && *s < 600 {
			errs = append(errs, fmt.Errorf("%s.auth.oidcConfig.expirationSeconds: %d is below the 600 seconds Kubernetes allows", field, *s))
		}
		errs = append(errs, provider.ValidateServiceAccountRef(store, &auth.OIDCConfig.ServiceAccountRef, field+".auth.oidcConfig.serviceAccountRef")...)
	}
	if (d.Project == "") != (d.Config == "") {
		errs = append(errs, errors.New(field+": set both project and config, or neither (a service token names its config)"))
	}
	switch d.Format {
	case "", "json", "dotnet-json", "env", "yaml", "docker":
	default:
		errs = append(errs, fmt.Errorf("%s.format: unknown %q", field, d.Format))
	}
	switch d.NameTransformer {
	case "", "upper-camel", "camel", "lower-snake", "tf-var", "dotnet-env", "lower-kebab":
	default:
		errs = append(errs, fmt.Errorf("%s.nameTransformer: unknown %q", field, d.NameTransformer))
	}
	return errors.Join(errs...)
}
