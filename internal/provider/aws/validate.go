package aws

import (
	"errors"
	"fmt"
	"regexp"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const specField = "spec.provider.aws"

// roleARNPattern accepts IAM role ARNs of every partition (aws, aws-cn, aws-us-gov, ...).
var roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)

// Session tag keys that the Simple and Custom sessionTagsPolicy add, describing the store.
const (
	sessionTagNamespace = "esoNamespace"
	sessionTagStoreName = "esoStoreName"
	sessionTagStoreKind = "esoStoreKind"
)

// Values of spec.provider.aws.sessionTagsPolicy.
const (
	sessionTagsNone   = "None"
	sessionTagsSimple = "Simple"
	sessionTagsCustom = "Custom"
)

// ValidateStore checks the store's AWS configuration as written, without any call. Each
// error names the offending field path.
func (p *Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.AWS == nil {
		return fmt.Errorf("%s: required", specField)
	}
	var errs []error
	switch service := spec.Provider.AWS.Service; service {
	case esv1.AWSServiceSecretsManager, esv1.AWSServiceParameterStore, esv1.AWSServiceCertificateManager:
	case "":
		errs = append(errs, fmt.Errorf("%s.service: required (SecretsManager, ParameterStore or CertificateManager)", specField))
	default:
		errs = append(errs, fmt.Errorf("%s.service: %q is not an AWS service Ferry reads from (SecretsManager, ParameterStore or CertificateManager)", specField, service))
	}
	return errors.Join(append(errs, p.ValidateAccess(StoreAccess(store)))...)
}

func validateAuth(a Access) []error {
	field := a.Field + ".auth"
	auth := &a.Spec.Auth
	if auth.JWTAuth != nil && auth.SecretRef != nil {
		return []error{fmt.Errorf("%s: jwt and secretRef are mutually exclusive, set one", field)}
	}
	var errs []error
	if jwt := auth.JWTAuth; jwt != nil {
		sa := jwt.ServiceAccountRef
		switch {
		case sa == nil:
			errs = append(errs, fmt.Errorf("%s.jwt.serviceAccountRef: required", field))
		case sa.Name == "":
			errs = append(errs, fmt.Errorf("%s.jwt.serviceAccountRef.name: required", field))
		}
		if sa != nil {
			if err := provider.ValidateRefNamespace(a.For, sa.Namespace, field+".jwt.serviceAccountRef"); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if ref := auth.SecretRef; ref != nil {
		errs = append(errs, provider.ValidateSecretKeyRef(a.For, &ref.AccessKeyID, field+".secretRef.accessKeyIDSecretRef")...)
		errs = append(errs, provider.ValidateSecretKeyRef(a.For, &ref.SecretAccessKey, field+".secretRef.secretAccessKeySecretRef")...)
		if ref.SessionToken != nil {
			errs = append(errs, provider.ValidateSecretKeyRef(a.For, ref.SessionToken, field+".secretRef.sessionTokenSecretRef")...)
		}
	}
	return errs
}

// validateRoles: ESO's schema and webhook admit any string as a role, and its docs show a
// bare name; STS assumes roles by ARN only. Admitted with a warning, reported by the store.
func validateRoles(a Access) []error {
	aws, specField := a.Spec, a.Field
	var errs []error
	for i, role := range aws.AdditionalRoles {
		if !roleARNPattern.MatchString(role) {
			errs = append(errs, provider.AdmittedMistake("%s.additionalRoles[%d]: %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)",
				specField, i, role))
		}
	}
	if aws.Role != "" && !roleARNPattern.MatchString(aws.Role) {
		errs = append(errs, provider.AdmittedMistake("%s.role: %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); AWS STS assumes roles by ARN only",
			specField, aws.Role))
	}
	for i, tag := range aws.SessionTags {
		if tag == nil || tag.Key == "" {
			errs = append(errs, fmt.Errorf("%s.sessionTags[%d].key: required", specField, i))
		}
	}
	switch aws.SessionTagsPolicy {
	case "", sessionTagsNone, sessionTagsSimple:
	case sessionTagsCustom:
		for _, reserved := range []string{sessionTagNamespace, sessionTagStoreName, sessionTagStoreKind} {
			if _, ok := aws.CustomSessionTags[reserved]; ok {
				errs = append(errs, fmt.Errorf("%s.customSessionTags: %q is set by Ferry and cannot be overridden", specField, reserved))
			}
		}
	default:
		errs = append(errs, fmt.Errorf("%s.sessionTagsPolicy: %q is not None, Simple or Custom", specField, aws.SessionTagsPolicy))
	}
	return errs
}

func validateRetry(rs *esv1.SecretStoreRetrySettings) error {
	if rs == nil {
		return nil
	}
	if rs.MaxRetries != nil && *rs.MaxRetries < 0 {
		return errors.New("spec.retrySettings.maxRetries: must not be negative")
	}
	if rs.RetryInterval != nil {
		if _, err := parseInterval(*rs.RetryInterval); err != nil {
			return err
		}
	}
	return nil
}
