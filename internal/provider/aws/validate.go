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
	aws := spec.Provider.AWS
	var errs []error
	switch aws.Service {
	case esv1.AWSServiceSecretsManager, esv1.AWSServiceParameterStore, esv1.AWSServiceCertificateManager:
	case "":
		errs = append(errs, fmt.Errorf("%s.service: required (SecretsManager, ParameterStore or CertificateManager)", specField))
	default:
		errs = append(errs, fmt.Errorf("%s.service: %q is not an AWS service Ferry reads from (SecretsManager, ParameterStore or CertificateManager)", specField, aws.Service))
	}
	if aws.Region == "" {
		errs = append(errs, fmt.Errorf("%s.region: required", specField))
	}
	errs = append(errs, validateAuth(store, &aws.Auth)...)
	errs = append(errs, validateRoles(aws)...)
	if err := validateRetry(spec.RetrySettings); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func validateAuth(store esv1.GenericStore, auth *esv1.AWSAuth) []error {
	const field = specField + ".auth"
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
			if err := validateRefNamespace(store, sa.Namespace, field+".jwt.serviceAccountRef"); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if ref := auth.SecretRef; ref != nil {
		errs = append(errs, validateSecretKey(store, &ref.AccessKeyID, field+".secretRef.accessKeyIDSecretRef")...)
		errs = append(errs, validateSecretKey(store, &ref.SecretAccessKey, field+".secretRef.secretAccessKeySecretRef")...)
		if ref.SessionToken != nil {
			errs = append(errs, validateSecretKey(store, ref.SessionToken, field+".secretRef.sessionTokenSecretRef")...)
		}
	}
	return errs
}

func validateSecretKey(store esv1.GenericStore, sel *esv1.SecretKeySelector, field string) []error {
	var errs []error
	if sel.Name == "" {
		errs = append(errs, fmt.Errorf("%s.name: required", field))
	}
	if sel.Key == "" {
		errs = append(errs, fmt.Errorf("%s.key: required", field))
	}
	if err := validateRefNamespace(store, sel.Namespace, field); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// validateRefNamespace rejects a namespaced SecretStore that points into another
// namespace; provider.RefNamespace enforces the same rule again when the ref is read.
func validateRefNamespace(store esv1.GenericStore, ns *string, field string) error {
	if store.GetKind() == esv1.ClusterSecretStoreKind || ns == nil || *ns == store.GetNamespace() {
		return nil
	}
	return fmt.Errorf("%s.namespace: a SecretStore may only reference its own namespace %q, not %q",
		field, store.GetNamespace(), *ns)
}

// validateRoles: ESO's schema and webhook admit any string as a role, and its docs show a
// bare name; STS assumes roles by ARN only. Admitted with a warning, reported by the store.
func validateRoles(aws *esv1.AWSProvider) []error {
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
