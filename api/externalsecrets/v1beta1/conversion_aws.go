package v1beta1

import (
	"slices"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// v1 fields of the AWS provider that v1beta1 has no place for. Without session tag policies,
// v1's policy is None.
var (
	awsSessionTagsPolicyField = lossless.HubField[string]{Name: "spec.provider.aws.sessionTagsPolicy", Default: "None"}
	awsCustomSessionTagsField = lossless.HubField[map[string]string]{Name: "spec.provider.aws.customSessionTags"}
)

func awsToHub(st *lossless.Stash, in *AWSProvider) *esv1.AWSProvider {
	if in == nil {
		return nil
	}
	out := &esv1.AWSProvider{
		Service:           esv1.AWSServiceType(in.Service),
		Role:              in.Role,
		AdditionalRoles:   slices.Clone(in.AdditionalRoles),
		Region:            in.Region,
		ExternalID:        in.ExternalID,
		SessionTagsPolicy: awsSessionTagsPolicyField.Restore(st),
		CustomSessionTags: awsCustomSessionTagsField.Restore(st),
		SessionTags: lossless.ConvertSlice(in.SessionTags, func(tag *AWSTag) *esv1.AWSTag {
			return (*esv1.AWSTag)(lossless.CopyPtr(tag))
		}),
		SecretsManager:    (*esv1.AWSSecretsManager)(lossless.CopyPtr(in.SecretsManager)),
		TransitiveTagKeys: slices.Clone(in.TransitiveTagKeys),
		Prefix:            in.Prefix,
	}
	if in.Auth.SecretRef != nil {
		out.Auth.SecretRef = &esv1.AWSAuthSecretRef{
			AccessKeyID:     esv1.SecretKeySelector(*in.Auth.SecretRef.AccessKeyID.DeepCopy()),
			SecretAccessKey: esv1.SecretKeySelector(*in.Auth.SecretRef.SecretAccessKey.DeepCopy()),
			SessionToken:    (*esv1.SecretKeySelector)(in.Auth.SecretRef.SessionToken.DeepCopy()),
		}
	}
	if in.Auth.JWTAuth != nil {
		out.Auth.JWTAuth = &esv1.AWSJWTAuth{
			ServiceAccountRef: (*esv1.ServiceAccountSelector)(in.Auth.JWTAuth.ServiceAccountRef.DeepCopy()),
		}
	}
	return out
}

func awsFromHub(st *lossless.Stash, in *esv1.AWSProvider) *AWSProvider {
	if in == nil {
		return nil
	}
	awsSessionTagsPolicyField.Keep(st, in.SessionTagsPolicy)
	awsCustomSessionTagsField.Keep(st, in.CustomSessionTags)
	out := &AWSProvider{
		Service:         AWSServiceType(in.Service),
		Role:            in.Role,
		AdditionalRoles: slices.Clone(in.AdditionalRoles),
		Region:          in.Region,
		ExternalID:      in.ExternalID,
		SessionTags: lossless.ConvertSlice(in.SessionTags, func(tag *esv1.AWSTag) *AWSTag {
			return (*AWSTag)(lossless.CopyPtr(tag))
		}),
		SecretsManager:    (*AWSSecretsManager)(lossless.CopyPtr(in.SecretsManager)),
		TransitiveTagKeys: slices.Clone(in.TransitiveTagKeys),
		Prefix:            in.Prefix,
	}
	if in.Auth.SecretRef != nil {
		out.Auth.SecretRef = &AWSAuthSecretRef{
			AccessKeyID:     SecretKeySelector(*in.Auth.SecretRef.AccessKeyID.DeepCopy()),
			SecretAccessKey: SecretKeySelector(*in.Auth.SecretRef.SecretAccessKey.DeepCopy()),
			SessionToken:    (*SecretKeySelector)(in.Auth.SecretRef.SessionToken.DeepCopy()),
		}
	}
	if in.Auth.JWTAuth != nil {
		out.Auth.JWTAuth = &AWSJWTAuth{
			ServiceAccountRef: (*ServiceAccountSelector)(in.Auth.JWTAuth.ServiceAccountRef.DeepCopy()),
		}
	}
	return out
}
