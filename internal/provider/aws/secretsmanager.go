package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// versionIDPrefix marks a remoteRef.version that is a Secrets Manager VersionId; any
// other version is a staging label such as AWSCURRENT or AWSPREVIOUS.
const versionIDPrefix = "uuid/"

const defaultVersionStage = "AWSCURRENT"

// secretsManager reads AWS Secrets Manager. Keys are secret names or ARNs.
type secretsManager struct {
	api      secretsManagerAPI
	identity callerIdentityAPI
	prefix   string
	// deletions holds how PushSecret deletes (recovery window), from the store.
	deletions *esv1.AWSSecretsManager

	// What the batch paths (secretsmanager_batch.go) learned: how many ListSecrets pages the
	// store's secrets take, and whether its credentials may not call BatchGetSecretValue or
	// ListSecrets, so those are not tried again.
	listPages               atomic.Int64
	batchDenied, listDenied atomic.Bool
}

var _ provider.Client = (*secretsManager)(nil)

// GetSecret returns the secret's string (or binary) value, the value at ref.Property inside
// it, or, with metadataPolicy Fetch, its tags as a JSON object.
func (s *secretsManager) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	key := remoteKey(s.prefix, ref.Key)
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		tags, err := s.tags(ctx, key)
		if err != nil {
			return nil, err
		}
		return tagValue(tags, key, ref.Property)
	}
	value, err := s.value(ctx, key, ref.Version)
	if err != nil {
		return nil, err
	}
	return selectProperty(value, key, ref.Property)
}

// GetSecretMap spreads the secret's JSON object value (or the object at ref.Property) into
// keys; with metadataPolicy Fetch it returns the secret's tags.
func (s *secretsManager) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	key := remoteKey(s.prefix, ref.Key)
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		tags, err := s.tags(ctx, key)
		if err != nil {
			return nil, err
		}
		return spreadTags(tags, key, ref.Property)
	}
	value, err := s.value(ctx, key, ref.Version)
	if err != nil {
		return nil, err
	}
	return spreadProperty(value, key, ref.Property)
}

// Validate proves that the store's credentials are accepted by AWS.
func (s *secretsManager) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	return validateIdentity(ctx, s.identity)
}

// Close releases nothing: connections belong to the provider's shared pool.
func (s *secretsManager) Close(context.Context) error { return nil }

func (s *secretsManager) value(ctx context.Context, key, version string) ([]byte, error) {
	value, _, err := s.valueAndVersion(ctx, key, version)
	return value, err
}

// valueAndVersion reads one version of a secret (by default the current one) and returns
// its value and VersionId.
func (s *secretsManager) valueAndVersion(ctx context.Context, key, version string) ([]byte, string, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(key)}
	switch {
	case strings.HasPrefix(version, versionIDPrefix):
		in.VersionId = aws.String(strings.TrimPrefix(version, versionIDPrefix))
	case version != "":
		in.VersionStage = aws.String(version)
	default:
		in.VersionStage = aws.String(defaultVersionStage)
	}
	out, err := s.api.GetSecretValue(ctx, in)
	if err != nil {
		return nil, "", secretsManagerError(err, key, "reading")
	}
	if out.SecretString != nil {
		return []byte(*out.SecretString), aws.ToString(out.VersionId), nil
	}
	if out.SecretBinary != nil {
		return out.SecretBinary, aws.ToString(out.VersionId), nil
	}
	return nil, "", fmt.Errorf("secret %q version has neither a string nor a binary value", key)
}

func (s *secretsManager) tags(ctx context.Context, key string) (map[string]string, error) {
	out, err := s.api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(key)})
	if err != nil {
		return nil, secretsManagerError(err, key, "describing")
	}
	if out.DeletedDate != nil {
		return nil, provider.NotFound(key)
	}
	tags := make(map[string]string, len(out.Tags))
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

// secretsManagerError maps a missing or deleted secret to provider.ErrNotFound and wraps any
// other error with the key. AWS messages name secrets, never their values.
func secretsManagerError(err error, key, doing string) error {
	var notFound *smtypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return provider.NotFound(key)
	}
	var invalid *smtypes.InvalidRequestException
	if errors.As(err, &invalid) && isDeletedSecretError(invalid.ErrorCode(), invalid.ErrorMessage()) {
		return provider.NotFound(key)
	}
	return fmt.Errorf("%s secret %q in AWS Secrets Manager: %w", doing, key, err)
}
