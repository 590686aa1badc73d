package gcpsm

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const field = "spec.provider.gcpsm"

// locationPattern is the shape of a GCP location name (a region such as europe-west1, or a
// multi-region such as eu).
var locationPattern = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]$`)

// ValidateStore checks the store as written, without any call; errors name the field.
func (p Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.GCPSM == nil {
		return errors.New(field + ": required")
	}
	gcp := spec.Provider.GCPSM
	var errs []error
	if gcp.Location != "" && !locationPattern.MatchString(gcp.Location) {
		errs = append(errs, fmt.Errorf("%s.location: %q is not a location name", field, gcp.Location))
	}
	switch gcp.SecretVersionSelectionPolicy {
	case "", esv1.SecretVersionSelectionPolicyLatestOrFail:
	default:
		errs = append(errs, fmt.Errorf("%s.secretVersionSelectionPolicy: only LatestOrFail is served, not %q",
			field, gcp.SecretVersionSelectionPolicy))
	}
	return errors.Join(append(errs, p.ValidateAccess(StoreAccess(store)))...)
}

// ValidateAccess checks an identity's auth and project as written, without any call;
// errors name the fields under spec.provider.gcpsm.
func (Provider) ValidateAccess(a Access) error {
	gcp := a.Spec
	var errs []error
	auth := gcp.Auth
	set := 0
	if auth.SecretRef != nil {
		set++
		errs = append(errs, provider.ValidateSecretKeyRef(a.For, &auth.SecretRef.SecretAccessKey,
			field+".auth.secretRef.secretAccessKeySecretRef")...)
	}
	if wi := auth.WorkloadIdentity; wi != nil {
		set++
		errs = append(errs, provider.ValidateServiceAccountRef(a.For, &wi.ServiceAccountRef,
			field+".auth.workloadIdentity.serviceAccountRef")...)
		if wi.ClusterLocation == "" {
			errs = append(errs, errors.New(field+".auth.workloadIdentity.clusterLocation: required"))
		}
		if wi.ClusterName == "" {
			errs = append(errs, errors.New(field+".auth.workloadIdentity.clusterName: required"))
		}
		if wi.ClusterProjectID == "" && gcp.ProjectID == "" {
			errs = append(errs, errors.New(field+".auth.workloadIdentity.clusterProjectID: required when projectID is not set"))
		}
	}
	if wif := auth.WorkloadIdentityFederation; wif != nil {
		set++
		errs = append(errs, validateFederation(a.For, wif)...)
	}
	if set > 1 {
		errs = append(errs, errors.New(field+".auth: set at most one of secretRef, workloadIdentity, workloadIdentityFederation"))
	}
	if gcp.ProjectID == "" && auth.SecretRef == nil {
		errs = append(errs, errors.New(field+".projectID: required unless the service account key names its project"))
	}
	return errors.Join(errs...)
}

// validateFederation checks workloadIdentityFederation as written: exactly one source of
// the subject token, its references, and an audience where no credential configuration
// can name it.
func validateFederation(owner provider.Referent, wif *esv1.GCPWorkloadIdentityFederation) []error {
	var errs []error
	sources := 0
	if ref := wif.CredConfig; ref != nil {
		sources++
		if ref.Name == "" || ref.Key == "" {
			errs = append(errs, errors.New(wifField+".credConfig: name and key of the ConfigMap of the credential configuration are required"))
		}
		if err := provider.ValidateRefNamespace(owner, ref.Namespace, wifField+".credConfig"); err != nil {
			errs = append(errs, err)
		}
	}
	if ref := wif.ServiceAccountRef; ref != nil {
		sources++
		errs = append(errs, provider.ValidateServiceAccountRef(owner, ref, wifField+".serviceAccountRef")...)
	}
	if aws := wif.AwsSecurityCredentials; aws != nil {
		sources++
		if aws.Region == "" {
			errs = append(errs, errors.New(wifField+".awsSecurityCredentials.region: required (the region of the AWS STS endpoint that is signed for)"))
		}
		const secretField = wifField + ".awsSecurityCredentials.awsCredentialsSecretRef"
		if aws.AwsCredentialsSecretRef.Name == "" {
			errs = append(errs, errors.New(secretField+".name: required"))
		}
		if err := provider.ValidateRefNamespace(owner, aws.AwsCredentialsSecretRef.Namespace, secretField); err != nil {
			errs = append(errs, err)
		}
	}
	// ESO's webhook checks none of the following, so they are admitted with a warning.
	if sources != 1 {
		errs = append(errs, provider.AdmittedMistake("%s: set exactly one of credConfig, serviceAccountRef and awsSecurityCredentials", wifField))
	}
	if wif.Audience == "" && wif.CredConfig == nil {
		errs = append(errs, provider.AdmittedMistake("%s.audience: required with serviceAccountRef or awsSecurityCredentials: "+
			"the workload identity pool provider, //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER", wifField))
	}
	if wif.Audience != "" && !strings.HasPrefix(wif.Audience, "//iam.googleapis.com/") {
		errs = append(errs, provider.AdmittedMistake("%s.audience: %q is not a workload identity pool provider; it starts with //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/",
			wifField, wif.Audience))
	}
	return errs
}
