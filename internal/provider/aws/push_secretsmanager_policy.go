package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/ferryhq/ferry/internal/provider"
)

// resourcePolicyTag marks a secret whose resource policy Ferry attached, so that the policy
// is removed when the metadata stops naming one, and a policy attached by anyone else is
// left alone.
const (
	resourcePolicyTag   = "ferry-resource-policy"
	resourcePolicyValue = "managed"
)

// resourcePolicyAPI is the part of the Secrets Manager client that manages resource policies.
type resourcePolicyAPI interface {
	GetResourcePolicy(ctx context.Context, in *secretsmanager.GetResourcePolicyInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.GetResourcePolicyOutput, error)
	PutResourcePolicy(ctx context.Context, in *secretsmanager.PutResourcePolicyInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.PutResourcePolicyOutput, error)
	DeleteResourcePolicy(ctx context.Context, in *secretsmanager.DeleteResourcePolicyInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.DeleteResourcePolicyOutput, error)
	TagResource(ctx context.Context, in *secretsmanager.TagResourceInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.TagResourceOutput, error)
	UntagResource(ctx context.Context, in *secretsmanager.UntagResourceInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.UntagResourceOutput, error)
}

// resourcePolicySpec is ESO's resourcePolicy metadata: the policy is the JSON document
// held in a key of a ConfigMap or Secret of the PushSecret's namespace.
type resourcePolicySpec struct {
	// BlockPublicPolicy is given to PutResourcePolicy: AWS refuses a policy that grants
	// public access.
	BlockPublicPolicy *bool `json:"blockPublicPolicy,omitempty"`
	// PolicySourceRef names the object and key; it has no namespace on purpose.
	PolicySourceRef *policySourceRef `json:"policySourceRef,omitempty"`
}

type policySourceRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	Key  string `json:"key"`
}

// validate checks the policy reference as written.
func (r *resourcePolicySpec) validate() error {
	ref := r.PolicySourceRef
	switch {
	case ref == nil:
		return fmt.Errorf("%w: metadata.spec.resourcePolicy.policySourceRef: required: name the ConfigMap or Secret key (kind, name, key) that holds the policy", provider.ErrInvalidMetadata)
	case ref.Kind != "ConfigMap" && ref.Kind != "Secret":
		return fmt.Errorf("%w: metadata.spec.resourcePolicy.policySourceRef.kind: %q: use ConfigMap or Secret", provider.ErrInvalidMetadata, ref.Kind)
	case ref.Name == "" || ref.Key == "":
		return fmt.Errorf("%w: metadata.spec.resourcePolicy.policySourceRef: name and key are required", provider.ErrInvalidMetadata)
	}
	return nil
}

// policyDocument reads the policy the reference names and checks it is a JSON object.
// Errors name the object and key, never the policy.
func policyDocument(ctx context.Context, objects provider.NamespaceObjects, ref *policySourceRef) (map[string]any, string, error) {
	if objects == nil {
		return nil, "", errors.New("resourcePolicy: this push cannot read ConfigMaps or Secrets")
	}
	raw, err := objects.Key(ctx, ref.Kind, ref.Name, ref.Key)
	if err != nil {
		return nil, "", fmt.Errorf("resourcePolicy: %w", err)
	}
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil || doc == nil {
		return nil, "", fmt.Errorf("resourcePolicy: %s %q key %q: the policy is not a JSON object", ref.Kind, ref.Name, ref.Key)
	}
	return doc, string(raw), nil
}

// applyResourcePolicy makes the secret's resource policy what spec names: attached when it
// differs (as JSON) from the current one, and removed, with its mark, when spec is nil and
// Ferry attached it (marked). Nothing is called when neither holds.
func (s *secretsManager) applyResourcePolicy(ctx context.Context, key string, spec *resourcePolicySpec, objects provider.NamespaceObjects, marked bool) error {
	if spec == nil && !marked {
		return nil
	}
	api, ok := s.api.(resourcePolicyAPI)
	if !ok {
		return errors.New("this Secrets Manager client cannot manage resource policies")
	}
	id := aws.String(key)
	if spec == nil {
		if _, err := api.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: id}); err != nil {
			var nf *smtypes.ResourceNotFoundException
			if !errors.As(err, &nf) {
				return fmt.Errorf("removing the resource policy of secret %q: %w", key, err)
			}
		}
		if _, err := api.UntagResource(ctx, &secretsmanager.UntagResourceInput{SecretId: id, TagKeys: []string{resourcePolicyTag}}); err != nil {
			return fmt.Errorf("untagging secret %q: %w", key, err)
		}
		return nil
	}
	want, text, err := policyDocument(ctx, objects, spec.PolicySourceRef)
	if err != nil {
		return fmt.Errorf("secret %q: %w", key, err)
	}
	cur, err := api.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: id})
	if err != nil {
		return fmt.Errorf("reading the resource policy of secret %q: %w", key, err)
	}
	var have map[string]any
	if cur.ResourcePolicy != nil && json.Unmarshal([]byte(*cur.ResourcePolicy), &have) == nil && reflect.DeepEqual(have, want) {
		return s.markResourcePolicy(ctx, api, key, marked)
	}
	in := &secretsmanager.PutResourcePolicyInput{SecretId: id, ResourcePolicy: aws.String(text), BlockPublicPolicy: spec.BlockPublicPolicy}
	if _, err := api.PutResourcePolicy(ctx, in); err != nil {
		return fmt.Errorf("attaching the resource policy of %s %q key %q to secret %q: %w",
			spec.PolicySourceRef.Kind, spec.PolicySourceRef.Name, spec.PolicySourceRef.Key, key, err)
	}
	return s.markResourcePolicy(ctx, api, key, marked)
}

// markResourcePolicy tags the secret as carrying a policy Ferry attached, unless it is.
func (s *secretsManager) markResourcePolicy(ctx context.Context, api resourcePolicyAPI, key string, marked bool) error {
	if marked {
		return nil
	}
	tag := smtypes.Tag{Key: aws.String(resourcePolicyTag), Value: aws.String(resourcePolicyValue)}
	if _, err := api.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String(key), Tags: []smtypes.Tag{tag}}); err != nil {
		return fmt.Errorf("tagging secret %q: %w", key, err)
	}
	return nil
}
