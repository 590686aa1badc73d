package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// replicationAPI is the part of the Secrets Manager client that manages replica regions.
type replicationAPI interface {
	ReplicateSecretToRegions(ctx context.Context, in *secretsmanager.ReplicateSecretToRegionsInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.ReplicateSecretToRegionsOutput, error)
	RemoveRegionsFromReplication(ctx context.Context, in *secretsmanager.RemoveRegionsFromReplicationInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.RemoveRegionsFromReplicationOutput, error)
}

// replicaRegions are the regions to replicate to, each with kmsKeyID when set (unset, AWS
// uses aws/secretsmanager of the replica's region); nil for none, which CreateSecret needs.
func replicaRegions(regions []string, kmsKeyID string) []smtypes.ReplicaRegionType {
	var out []smtypes.ReplicaRegionType
	for _, r := range regions {
		replica := smtypes.ReplicaRegionType{Region: aws.String(r)}
		if kmsKeyID != "" {
			replica.KmsKeyId = aws.String(kmsKeyID)
		}
		out = append(out, replica)
	}
	return out
}

// replicationChange says which regions to add and remove so that the replicas are want.
func replicationChange(want []string, have []smtypes.ReplicationStatusType) (add, remove []string) {
	var current []string
	for _, h := range have {
		current = append(current, aws.ToString(h.Region))
	}
	for _, r := range want {
		if !slices.Contains(current, r) && !slices.Contains(add, r) {
			add = append(add, r)
		}
	}
	for _, r := range current {
		if !slices.Contains(want, r) {
			remove = append(remove, r)
		}
	}
	return add, remove
}

// applyReplication makes the existing secret's replica regions want, the new ones under
// kmsKeyID; it calls nothing when they already are.
func (s *secretsManager) applyReplication(ctx context.Context, key string, want []string, kmsKeyID string, have []smtypes.ReplicationStatusType) error {
	add, remove := replicationChange(want, have)
	if len(add) == 0 && len(remove) == 0 {
		return nil
	}
	api, ok := s.api.(replicationAPI)
	if !ok {
		return errors.New("this Secrets Manager client cannot manage replication")
	}
	if len(remove) > 0 {
		in := &secretsmanager.RemoveRegionsFromReplicationInput{SecretId: aws.String(key), RemoveReplicaRegions: remove}
		if _, err := api.RemoveRegionsFromReplication(ctx, in); err != nil {
			return fmt.Errorf("removing replicas %v of secret %q: %w", remove, key, err)
		}
	}
	if len(add) > 0 {
		in := &secretsmanager.ReplicateSecretToRegionsInput{SecretId: aws.String(key),
			AddReplicaRegions: replicaRegions(add, kmsKeyID)}
		if _, err := api.ReplicateSecretToRegions(ctx, in); err != nil {
			return fmt.Errorf("replicating secret %q to %v: %w", key, add, err)
		}
	}
	return nil
}
