package azurekv

import (
	"errors"
	"fmt"
	"net/url"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.azurekv"

// ValidateStore checks the store as written, without any call; errors name the field.
func (p Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.AzureKV == nil {
		return errors.New(field + ": required")
	}
	az := spec.Provider.AzureKV
	var errs []error
	if az.VaultURL == nil || *az.VaultURL == "" {
		errs = append(errs, errors.New(field+".vaultUrl: required"))
	} else if u, err := url.Parse(*az.VaultURL); err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("%s.vaultUrl: %q is not an https URL", field, *az.VaultURL))
	}
	return errors.Join(append(errs, p.ValidateAccess(StoreAccess(store)))...)
}

// ValidateAccess checks an identity's cloud and auth as written, without any call; errors
// name the fields under spec.provider.azurekv.
func (Provider) ValidateAccess(a Access) error {
	az := a.Spec
	var errs []error
	switch az.EnvironmentType {
	case "", esv1.AzureEnvironmentPublicCloud, esv1.AzureEnvironmentUSGovernmentCloud,
		esv1.AzureEnvironmentChinaCloud, esv1.AzureEnvironmentGermanCloud:
	case esv1.AzureEnvironmentAzureStackCloud:
		if az.CustomCloudConfig == nil || az.CustomCloudConfig.ActiveDirectoryEndpoint == "" {
			errs = append(errs, errors.New(field+".customCloudConfig.activeDirectoryEndpoint: required for AzureStackCloud"))
		}
	default:
		errs = append(errs, fmt.Errorf("%s.environmentType: unknown %q", field, az.EnvironmentType))
	}
	switch authType(az) {
	case esv1.AzureServicePrincipal:
		errs = append(errs, validateServicePrincipal(a.For, az)...)
	case esv1.AzureManagedIdentity:
	case esv1.AzureWorkloadIdentity:
		// Without serviceAccountRef, Ferry's own mounted token (mountedWorkloadIdentity).
		if az.ServiceAccountRef != nil {
			errs = append(errs, provider.ValidateServiceAccountRef(a.For, az.ServiceAccountRef, field+".serviceAccountRef")...)
		}
	default:
		errs = append(errs, fmt.Errorf("%s.authType: unknown %q", field, *az.AuthType))
	}
	return errors.Join(errs...)
}

func validateServicePrincipal(owner provider.Referent, az *esv1.AzureKVProvider) []error {
	ref := az.AuthSecretRef
	if ref == nil {
		return []error{errors.New(field + ".authSecretRef: required for ServicePrincipal")}
	}
	var errs []error
	if (az.TenantID == nil || *az.TenantID == "") && ref.TenantID == nil {
		errs = append(errs, errors.New(field+".tenantId: required for ServicePrincipal (or authSecretRef.tenantId)"))
	}
	if ref.ClientID == nil {
		errs = append(errs, errors.New(field+".authSecretRef.clientId: required"))
	}
	if (ref.ClientSecret == nil) == (ref.ClientCertificate == nil) {
		errs = append(errs, errors.New(field+".authSecretRef: set exactly one of clientSecret and clientCertificate"))
	}
	for name, sel := range map[string]*esv1.SecretKeySelector{
		"clientId": ref.ClientID, "tenantId": ref.TenantID, "clientSecret": ref.ClientSecret, "clientCertificate": ref.ClientCertificate,
	} {
		if sel != nil {
			errs = append(errs, provider.ValidateSecretKeyRef(owner, sel, field+".authSecretRef."+name)...)
		}
	}
	return errs
}

func authType(az *esv1.AzureKVProvider) esv1.AzureAuthType {
	if az.AuthType == nil || *az.AuthType == "" {
		return esv1.AzureServicePrincipal
	}
	return *az.AuthType
}
