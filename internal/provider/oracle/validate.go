package oracle

import (
	"errors"
	"fmt"
	"regexp"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// regionID is the shape of an OCI region identifier, such as us-ashburn-1 or
// eu-frankfurt-1; the three-letter keys (iad, fra) are not mapped by Ferry.
var regionID = regexp.MustCompile(`^[a-z]+(-[a-z]+)+-[0-9]+$`)

// ValidateStore checks the store's OCI Vault configuration as written, without any call.
// Each error names the offending field and what to set.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Oracle == nil {
		return fmt.Errorf("%s: required", specField)
	}
	o := spec.Provider.Oracle
	var errs []error
	if o.Vault == "" {
		errs = append(errs, fmt.Errorf("%s.vault: required: set the OCID of the vault (ocid1.vault.oc1.<region>.<id>)", specField))
	}
	switch {
	case o.Region == "":
		errs = append(errs, fmt.Errorf("%s.region: required: set the vault's region identifier, e.g. us-ashburn-1", specField))
	case !regionID.MatchString(o.Region):
		errs = append(errs, provider.FeatureNotImplemented("%s.region: %q is not a region identifier such as us-ashburn-1: Ferry does not map region keys; write the identifier", specField, o.Region))
	}
	errs = append(errs, validateAuth(store, o)...)
	if o.ServiceAccountRef != nil {
		errs = append(errs, provider.ValidateServiceAccountRef(store, o.ServiceAccountRef, specField+".serviceAccountRef")...)
	}
	return errors.Join(errs...)
}

// validateAuth checks the principal: ESO authenticates as a workload for Workload, as the
// instance for InstancePrincipal or when auth is unset, and otherwise as the user of auth.
// Like ESO, it checks auth whenever it is set, even when the principal does not use it.
func validateAuth(store esv1.GenericStore, o *esv1.OracleProvider) []error {
	var errs []error
	switch o.PrincipalType {
	case "", userPrincipal, instancePrincipal, workloadPrincipal:
	default:
		errs = append(errs, fmt.Errorf("%s.principalType: %q is not a principal type: set UserPrincipal, InstancePrincipal or Workload", specField, o.PrincipalType))
	}
	if o.Auth == nil {
		return errs
	}
	field := specField + ".auth"
	if o.Auth.Tenancy == "" {
		errs = append(errs, fmt.Errorf("%s.tenancy: required: set the OCID of the tenancy (ocid1.tenancy.oc1..<id>)", field))
	}
	if o.Auth.User == "" {
		errs = append(errs, fmt.Errorf("%s.user: required: set the OCID of the user the API key belongs to (ocid1.user.oc1..<id>)", field))
	}
	errs = append(errs, provider.ValidateSecretKeyRef(store, &o.Auth.SecretRef.PrivateKey, field+".secretRef.privatekey")...)
	errs = append(errs, provider.ValidateSecretKeyRef(store, &o.Auth.SecretRef.Fingerprint, field+".secretRef.fingerprint")...)
	return errs
}
