package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// parameterStore reads AWS Systems Manager Parameter Store. Keys are parameter names
// (usually paths such as /team/app/db) or ARNs.
type parameterStore struct {
	api      parameterStoreAPI
	identity callerIdentityAPI
	prefix   string
}

var _ provider.Client = (*parameterStore)(nil)

// GetSecret returns the parameter's value (SecureStrings decrypted, StringLists as the
// comma-separated text AWS stores), the value at ref.Property inside it, or, with
// metadataPolicy Fetch, its tags as a JSON object. ref.Version selects a version number
// or label.
func (p *parameterStore) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	key := remoteKey(p.prefix, ref.Key)
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		tags, err := p.tags(ctx, key)
		if err != nil {
			return nil, err
		}
		return tagValue(tags, key, ref.Property)
	}
	value, err := p.value(ctx, key, ref.Version)
	if err != nil {
		return nil, err
	}
	return selectProperty(value, key, ref.Property)
}

// GetSecretMap spreads the parameter's JSON object value (or the object at ref.Property)
// into keys; with metadataPolicy Fetch it returns the parameter's tags.
func (p *parameterStore) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	key := remoteKey(p.prefix, ref.Key)
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		tags, err := p.tags(ctx, key)
		if err != nil {
			return nil, err
		}
		return spreadTags(tags, key, ref.Property)
	}
	value, err := p.value(ctx, key, ref.Version)
	if err != nil {
		return nil, err
	}
	return spreadProperty(value, key, ref.Property)
}

// Validate proves that the store's credentials are accepted by AWS.
func (p *parameterStore) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	return validateIdentity(ctx, p.identity)
}

// Close releases nothing: connections belong to the provider's shared pool.
func (p *parameterStore) Close(context.Context) error { return nil }

func (p *parameterStore) value(ctx context.Context, key, version string) ([]byte, error) {
	name := key
	if version != "" {
		// A parameter selector: name:<version number> or name:<label>.
		name += ":" + version
	}
	out, err := p.api.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return nil, parameterStoreError(err, name, "reading")
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return nil, provider.NotFound(name)
	}
	return []byte(*out.Parameter.Value), nil
}

func (p *parameterStore) tags(ctx context.Context, key string) (map[string]string, error) {
	out, err := p.api.ListTagsForResource(ctx, &ssm.ListTagsForResourceInput{
		ResourceType: ssmtypes.ResourceTypeForTaggingParameter,
		ResourceId:   aws.String(key),
	})
	if err != nil {
		return nil, parameterStoreError(err, key, "listing the tags of")
	}
	tags := make(map[string]string, len(out.TagList))
	for _, t := range out.TagList {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

// parameterStoreError maps a missing parameter or version to provider.ErrNotFound and wraps
// any other error with the name.
func parameterStoreError(err error, name, doing string) error {
	var (
		notFound        *ssmtypes.ParameterNotFound
		versionNotFound *ssmtypes.ParameterVersionNotFound
		noResource      *ssmtypes.InvalidResourceId
	)
	if errors.As(err, &notFound) || errors.As(err, &versionNotFound) || errors.As(err, &noResource) {
		return provider.NotFound(name)
	}
	return fmt.Errorf("%s parameter %q in AWS Parameter Store: %w", doing, name, err)
}
