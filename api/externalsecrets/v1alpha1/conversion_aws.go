package v1alpha1

import (
	"slices"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// v1 fields of the AWS provider that v1alpha1 has no place for. Without session tags, v1's
// policy is None.
var (
	awsAdditionalRolesField   = lossless.HubField[[]string]{Name: "spec.provider.aws.additionalRoles"}
	awsExternalIDField        = lossless.HubField[string]{Name: "spec.provider.aws.externalID"}
	awsSessionTagsPolicyField = lossless.HubField[string]{Name: "spec.provider.aws.sessionTagsPolicy", Default: "None"}
	awsCustomSessionTagsField = lossless.HubField[map[string]string]{Name: "spec.provider.aws.customSessionTags"}
	awsSessionTagsField       = lossless.HubField[[]*esv1.AWSTag]{Name: "spec.provider.aws.sessionTags"}
	awsSecretsManagerField    = lossless.HubField[*esv1.AWSSecretsManager]{Name: "spec.provider.aws.secretsManager"}
	awsTransitiveTagKeysField = lossless.HubField[[]string]{Name: "spec.provider.aws.transitiveTagKeys"}
	awsPrefixField            = lossless.HubField[string]{Name: "spec.provider.aws.prefix"}
	awsSessionTokenField      = lossless.HubField[*esv1.SecretKeySelector]{
		Name: "spec.provider.aws.auth.secretRef.sessionTokenSecretRef",
	}
)

func awsToHub(st *lossless.Stash, in *AWSProvider) *esv1.AWSProvider {
	if in == nil {
		return nil
	}
	out := &esv1.AWSProvider{
		Service:           esv1.AWSServiceType(in.Service),
		Role:              in.Role,
		AdditionalRoles:   awsAdditionalRolesField.Restore(st),
		Region:            in.Region,
		ExternalID:        awsExternalIDField.Restore(st),
		SessionTagsPolicy: awsSessionTagsPolicyField.Restore(st),
		CustomSessionTags: awsCustomSessionTagsField.Restore(st),
		SessionTags:       awsSessionTagsField.Restore(st),
		SecretsManager:    awsSecretsManagerField.Restore(st),
		TransitiveTagKeys: awsTransitiveTagKeysField.Restore(st),
		Prefix:            awsPrefixField.Restore(st),
	}
	if in.Auth.SecretRef != nil {
		out.Auth.SecretRef = &esv1.AWSAuthSecretRef{
			AccessKeyID:     secretKeySelectorToHub(in.Auth.SecretRef.AccessKeyID),
			SecretAccessKey: secretKeySelectorToHub(in.Auth.SecretRef.SecretAccessKey),
			SessionToken:    awsSessionTokenField.Restore(st),
		}
	}
	if in.Auth.JWTAuth != nil {
		out.Auth.JWTAuth = &esv1.AWSJWTAuth{
			ServiceAccountRef: serviceAccountSelectorToHub(in.Auth.JWTAuth.ServiceAccountRef),
		}
	}
	return out
}

func awsFromHub(st *lossless.Stash, in *esv1.AWSProvider) *AWSProvider {
	if in == nil {
		return nil
	}
	awsAdditionalRolesField.Keep(st, in.AdditionalRoles)
	awsExternalIDField.Keep(st, in.ExternalID)
	awsSessionTagsPolicyField.Keep(st, in.SessionTagsPolicy)
	awsCustomSessionTagsField.Keep(st, in.CustomSessionTags)
	awsSessionTagsField.Keep(st, in.SessionTags)
	awsSecretsManagerField.Keep(st, in.SecretsManager)
	awsTransitiveTagKeysField.Keep(st, in.TransitiveTagKeys)
	awsPrefixField.Keep(st, in.Prefix)
	out := &AWSProvider{
		Service: AWSServiceType(in.Service),
		Role:    in.Role,
		Region:  in.Region,
	}
	if in.Auth.SecretRef != nil {
		awsSessionTokenField.Keep(st, in.Auth.SecretRef.SessionToken)
		out.Auth.SecretRef = &AWSAuthSecretRef{
			AccessKeyID:     secretKeySelectorFromHub(in.Auth.SecretRef.AccessKeyID),
			SecretAccessKey: secretKeySelectorFromHub(in.Auth.SecretRef.SecretAccessKey),
		}
	}
	if in.Auth.JWTAuth != nil {
		out.Auth.JWTAuth = &AWSJWTAuth{
			ServiceAccountRef: serviceAccountSelectorFromHub(in.Auth.JWTAuth.ServiceAccountRef),
		}
	}
	return out
}

func secretKeySelectorToHub(in SecretKeySelector) esv1.SecretKeySelector {
	return esv1.SecretKeySelector{Name: in.Name, Namespace: lossless.CopyPtr(in.Namespace), Key: in.Key}
}

func secretKeySelectorFromHub(in esv1.SecretKeySelector) SecretKeySelector {
	return SecretKeySelector{Name: in.Name, Namespace: lossless.CopyPtr(in.Namespace), Key: in.Key}
}

func serviceAccountSelectorToHub(in *ServiceAccountSelector) *esv1.ServiceAccountSelector {
	if in == nil {
		return nil
	}
	return &esv1.ServiceAccountSelector{
		Name: in.Name, Namespace: lossless.CopyPtr(in.Namespace), Audiences: slices.Clone(in.Audiences),
	}
}

func serviceAccountSelectorFromHub(in *esv1.ServiceAccountSelector) *ServiceAccountSelector {
	if in == nil {
		return nil
	}
	return &ServiceAccountSelector{
		Name: in.Name, Namespace: lossless.CopyPtr(in.Namespace), Audiences: slices.Clone(in.Audiences),
	}
}
