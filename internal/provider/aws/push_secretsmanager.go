package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/ferryhq/ferry/internal/provider"
)

// secretsManagerWriteAPI is the part of the Secrets Manager client PushSecret writes with.
type secretsManagerWriteAPI interface {
	CreateSecret(ctx context.Context, in *secretsmanager.CreateSecretInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	DeleteSecret(ctx context.Context, in *secretsmanager.DeleteSecretInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.DeleteSecretOutput, error)
}

var _ provider.Writer = (*secretsManager)(nil)

func (s *secretsManager) writer() (secretsManagerWriteAPI, error) {
	w, ok := s.api.(secretsManagerWriteAPI)
	if !ok {
		return nil, errors.New("this Secrets Manager client cannot write")
	}
	return w, nil
}

// current returns the secret's AWSCURRENT value and whether Ferry (or ESO) manages it; a
// missing secret is (nil, false, false, nil).
func (s *secretsManager) current(ctx context.Context, key string) (value []byte, exists, managed bool, err error) {
	var desc *secretsmanager.DescribeSecretOutput
	return s.currentKeeping(&desc)(ctx, key)
}

// described returns the secret's AWSCURRENT value and its description; desc is nil when the
// secret is missing or scheduled for deletion.
func (s *secretsManager) described(ctx context.Context, key string) (value []byte, desc *secretsmanager.DescribeSecretOutput, err error) {
	desc, err = s.api.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(key)})
	if err != nil {
		var nf *smtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("describing secret %q: %w", key, err)
	}
	if desc.DeletedDate != nil {
		return nil, nil, nil
	}
	value, err = s.value(ctx, key, "")
	if errors.Is(err, provider.ErrNotFound) {
		return nil, desc, nil // created without a value yet
	}
	return value, desc, err
}

// currentKeeping is current, keeping the secret's description in *desc.
func (s *secretsManager) currentKeeping(desc **secretsmanager.DescribeSecretOutput) currentFunc {
	return func(ctx context.Context, key string) ([]byte, bool, bool, error) {
		value, d, err := s.described(ctx, key)
		*desc = d
		return value, d != nil, d != nil && tagsOf(d)[provider.ManagedByTag] == provider.ManagedByValue, err
	}
}

func tagsOf(desc *secretsmanager.DescribeSecretOutput) map[string]string {
	tags := make(map[string]string, len(desc.Tags))
	for _, t := range desc.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags
}

// secretsManagerMetadata is the push metadata ESO documents for Secrets Manager.
type secretsManagerMetadata struct {
	// SecretPushFormat is "string" (SecretString) or "binary" (SecretBinary); unset, text
	// goes as a string and anything else as binary.
	SecretPushFormat string `json:"secretPushFormat,omitempty"`
	// KMSKeyID, Description and Tags are given to CreateSecret.
	KMSKeyID    string            `json:"kmsKeyID,omitempty"`
	Description string            `json:"description,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	// ReplicationLocations are the regions the secret is replicated to, under KMSKeyID when
	// set; unset leaves replication alone, an empty list removes every replica.
	ReplicationLocations []string `json:"replicationLocations,omitempty"`
	// ResourcePolicy names the resource policy attached to the secret on every push;
	// decoded into resourcePolicy.
	ResourcePolicy json.RawMessage `json:"resourcePolicy,omitempty"`
	resourcePolicy *resourcePolicySpec
}

func secretsManagerMetadataOf(ref provider.PushRef) (secretsManagerMetadata, error) {
	var meta secretsManagerMetadata
	if err := provider.DecodeMetadata(ref, "aws (SecretsManager)", &meta); err != nil {
		return meta, err
	}
	switch {
	case meta.SecretPushFormat != "" && meta.SecretPushFormat != "string" && meta.SecretPushFormat != "binary":
		return meta, fmt.Errorf("%w: metadata.spec.secretPushFormat: %q: use string or binary", provider.ErrInvalidMetadata, meta.SecretPushFormat)
	case len(meta.ResourcePolicy) > 0:
		meta.resourcePolicy = &resourcePolicySpec{}
		if err := decodeNested(meta.ResourcePolicy, "resourcePolicy", meta.resourcePolicy); err != nil {
			return meta, err
		}
		if err := meta.resourcePolicy.validate(); err != nil {
			return meta, err
		}
	}
	for i, region := range meta.ReplicationLocations {
		if region == "" || slices.Contains(meta.ReplicationLocations[:i], region) {
			return meta, fmt.Errorf("%w: metadata.spec.replicationLocations[%d]: %q: list each region (as eu-central-1) once", provider.ErrInvalidMetadata, i, region)
		}
	}
	if _, ok := meta.Tags[resourcePolicyTag]; ok {
		return meta, fmt.Errorf("%w: metadata.spec.tags.%s: set by Ferry itself; remove it", provider.ErrInvalidMetadata, resourcePolicyTag)
	}
	return meta, refuseManagedByTag(meta.Tags)
}

// PushSecret writes value (or sets ref.Property of the JSON object) at ref.RemoteKey,
// creating the secret tagged managed-by=external-secrets when missing, with the
// metadata's description, KMS key and tags. A secret that exists without that tag is not
// overwritten; an unchanged value writes nothing. The metadata's resource policy is then
// attached when it differs from the secret's, or removed when Ferry attached one and the
// metadata names none.
func (s *secretsManager) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	meta, err := secretsManagerMetadataOf(ref)
	if err != nil {
		return err
	}
	w, err := s.writer()
	if err != nil {
		return err
	}
	key := remoteKey(s.prefix, ref.RemoteKey)
	var desc *secretsmanager.DescribeSecretOutput
	next, exists, unchanged, err := planPush(ctx, s.currentKeeping(&desc), "secret", key, value, ref.Property)
	if err != nil {
		return err
	}
	if !unchanged {
		if err := s.writeValue(ctx, w, key, next, exists, meta); err != nil {
			return err
		}
	}
	if exists && meta.ReplicationLocations != nil {
		if err := s.applyReplication(ctx, key, meta.ReplicationLocations, meta.KMSKeyID, desc.ReplicationStatus); err != nil {
			return err
		}
	}
	policyMarked := exists && tagsOf(desc)[resourcePolicyTag] == resourcePolicyValue
	return s.applyResourcePolicy(ctx, key, meta.resourcePolicy, ref.Objects, policyMarked)
}

// writeValue creates the secret with the metadata's tags, description and key, or writes a
// new version of the one that exists.
func (s *secretsManager) writeValue(ctx context.Context, w secretsManagerWriteAPI, key string, next []byte, exists bool, meta secretsManagerMetadata) error {
	if !exists {
		in := &secretsmanager.CreateSecretInput{Name: aws.String(key),
			Tags: []smtypes.Tag{{Key: aws.String(provider.ManagedByTag), Value: aws.String(provider.ManagedByValue)}}}
		for _, k := range slices.Sorted(maps.Keys(meta.Tags)) {
			in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(meta.Tags[k])})
		}
		if meta.Description != "" {
			in.Description = aws.String(meta.Description)
		}
		if meta.KMSKeyID != "" {
			in.KmsKeyId = aws.String(meta.KMSKeyID)
		}
		in.AddReplicaRegions = replicaRegions(meta.ReplicationLocations, meta.KMSKeyID)
		if err := setPayloadAs(next, meta.SecretPushFormat, &in.SecretString, &in.SecretBinary); err != nil {
			return fmt.Errorf("secret %q: %w", key, err)
		}
		if _, err := w.CreateSecret(ctx, in); err != nil {
			return fmt.Errorf("creating secret %q: %w", key, err)
		}
		return nil
	}
	in := &secretsmanager.PutSecretValueInput{SecretId: aws.String(key)}
	if err := setPayloadAs(next, meta.SecretPushFormat, &in.SecretString, &in.SecretBinary); err != nil {
		return fmt.Errorf("secret %q: %w", key, err)
	}
	if _, err := w.PutSecretValue(ctx, in); err != nil {
		return fmt.Errorf("writing secret %q: %w", key, err)
	}
	return nil
}

// refuseManagedByTag refuses metadata tags that would set the tag Ferry sets itself.
func refuseManagedByTag(tags map[string]string) error {
	if _, ok := tags[provider.ManagedByTag]; ok {
		return fmt.Errorf("%w: metadata.spec.tags.%s: set by Ferry itself; remove it", provider.ErrInvalidMetadata, provider.ManagedByTag)
	}
	return nil
}

// setPayloadAs sets the value as SecretString or SecretBinary as metadata's
// secretPushFormat says, or by its content when unset.
func setPayloadAs(value []byte, format string, str **string, bin *[]byte) error {
	switch format {
	case "string":
		if !utf8.Valid(value) {
			return fmt.Errorf("%w: metadata.spec.secretPushFormat: string, but the value is not UTF-8 text; use binary", provider.ErrInvalidMetadata)
		}
		*str = aws.String(string(value))
	case "binary":
		*bin = value
	default:
		setPayload(value, str, bin)
	}
	return nil
}

// DeleteSecret deletes the secret (or only ref.Property of its JSON object; the secret goes
// when nothing is left), with the store's recovery window.
func (s *secretsManager) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	w, err := s.writer()
	if err != nil {
		return err
	}
	key := remoteKey(s.prefix, ref.RemoteKey)
	var desc *secretsmanager.DescribeSecretOutput
	rest, exists, err := planDelete(ctx, s.currentKeeping(&desc), "secret", key, ref.Property)
	if err != nil || !exists {
		return err
	}
	if rest != nil {
		in := &secretsmanager.PutSecretValueInput{SecretId: aws.String(key), SecretString: aws.String(string(rest))}
		if _, err := w.PutSecretValue(ctx, in); err != nil {
			return fmt.Errorf("writing secret %q: %w", key, err)
		}
		return nil
	}
	// AWS deletes no secret that still has replicas.
	if err := s.applyReplication(ctx, key, []string{}, "", desc.ReplicationStatus); err != nil {
		return err
	}
	in := &secretsmanager.DeleteSecretInput{SecretId: aws.String(key)}
	if d := s.deletions; d != nil {
		if d.ForceDeleteWithoutRecovery {
			in.ForceDeleteWithoutRecovery = aws.Bool(true)
		} else if d.RecoveryWindowInDays > 0 {
			in.RecoveryWindowInDays = aws.Int64(d.RecoveryWindowInDays)
		}
	}
	if _, err := w.DeleteSecret(ctx, in); err != nil {
		return fmt.Errorf("deleting secret %q: %w", key, err)
	}
	return nil
}

// SecretExists says whether the secret (or its property) exists.
func (s *secretsManager) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	key := remoteKey(s.prefix, ref.RemoteKey)
	cur, exists, _, err := s.current(ctx, key)
	if err != nil || !exists || ref.Property == "" {
		return exists, err
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(cur, &obj) != nil {
		return false, nil
	}
	_, ok := obj[ref.Property]
	return ok, nil
}

// setPayload puts UTF-8 text in SecretString and anything else in SecretBinary.
func setPayload(value []byte, str **string, bin *[]byte) {
	if utf8.Valid(value) {
		*str = aws.String(string(value))
		return
	}
	*bin = value
}
