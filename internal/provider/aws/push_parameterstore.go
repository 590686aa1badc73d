package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/ferryhq/ferry/internal/provider"
)

// parameterStoreWriteAPI is the part of the Systems Manager client PushSecret writes with.
type parameterStoreWriteAPI interface {
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, opts ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
	AddTagsToResource(ctx context.Context, in *ssm.AddTagsToResourceInput, opts ...func(*ssm.Options)) (*ssm.AddTagsToResourceOutput, error)
}

var _ provider.Writer = (*parameterStore)(nil)

func (p *parameterStore) writer() (parameterStoreWriteAPI, error) {
	w, ok := p.api.(parameterStoreWriteAPI)
	if !ok {
		return nil, errors.New("this Parameter Store client cannot write")
	}
	return w, nil
}

// currentParameter returns the parameter's value and whether Ferry (or ESO) manages it.
func (p *parameterStore) currentParameter(ctx context.Context, key string) (value []byte, exists, managed bool, err error) {
	value, err = p.value(ctx, key, "")
	if errors.Is(err, provider.ErrNotFound) {
		return nil, false, false, nil
	}
	if err != nil {
		return nil, false, false, err
	}
	tags, err := p.tags(ctx, key)
	if err != nil {
		return nil, true, false, err
	}
	return value, true, tags[provider.ManagedByTag] == provider.ManagedByValue, nil
}

// parameterStoreMetadata is the push metadata ESO reads for Parameter Store: its v2 names
// (secretType, kmsKeyID, description, encodeAsDecoded) and the older release's
// (parameterStoreType, parameterStoreKeyID), which name the same settings.
type parameterStoreMetadata struct {
	// ParameterStoreType is String, StringList or SecureString (Ferry's default); SecretType
	// is its ESO v2 name.
	ParameterStoreType string `json:"parameterStoreType,omitempty"`
	SecretType         string `json:"secretType,omitempty"`
	// ParameterStoreKeyID is the KMS key of a SecureString; KMSKeyID is its ESO v2 name.
	ParameterStoreKeyID string `json:"parameterStoreKeyID,omitempty"`
	KMSKeyID            string `json:"kmsKeyID,omitempty"`
	// Description is sent with every write of the value.
	Description string `json:"description,omitempty"`
	// EncodeAsDecoded writes a whole Secret's values as text in its JSON object; without
	// it each value is base64, as ESO writes them (its JSON of the Secret's bytes).
	EncodeAsDecoded bool `json:"encodeAsDecoded,omitempty"`
	// Tags are added to the parameter Ferry creates, beside managed-by.
	Tags map[string]string `json:"tags,omitempty"`
	// Tier is the parameter's tier and policies ({type, policies}), sent with every write
	// of the value; decoded into tier.
	Tier json.RawMessage `json:"tier,omitempty"`
	tier *parameterTier
}

// parameterTier is ESO's tier metadata: {type, policies}.
type parameterTier struct {
	// Type is Standard, Advanced or Intelligent-Tiering.
	Type ssmtypes.ParameterTier `json:"type"`
	// Policies is the JSON array of parameter policies (expiration, notification), sent as
	// PutParameter's Policies; AWS applies them to advanced parameters only.
	Policies json.RawMessage `json:"policies,omitempty"`
}

// validate checks the tier as written, naming the field and the values it takes.
func (t *parameterTier) validate() error {
	switch t.Type {
	case ssmtypes.ParameterTierStandard, ssmtypes.ParameterTierAdvanced, ssmtypes.ParameterTierIntelligentTiering:
	default:
		return fmt.Errorf("%w: metadata.spec.tier.type: %q: use Standard, Advanced or Intelligent-Tiering", provider.ErrInvalidMetadata, t.Type)
	}
	if len(t.Policies) == 0 || string(t.Policies) == "null" {
		t.Policies = nil
		return nil
	}
	if t.Type == ssmtypes.ParameterTierStandard {
		return fmt.Errorf("%w: metadata.spec.tier.policies: parameter policies need tier type Advanced or Intelligent-Tiering", provider.ErrInvalidMetadata)
	}
	var policies []map[string]any
	if err := json.Unmarshal(t.Policies, &policies); err != nil {
		return fmt.Errorf("%w: metadata.spec.tier.policies: must be a JSON array of policy objects ({\"Type\": \"Expiration\", ...})", provider.ErrInvalidMetadata)
	}
	return nil
}

func parameterStoreMetadataOf(ref provider.PushRef) (parameterStoreMetadata, error) {
	var meta parameterStoreMetadata
	if err := provider.DecodeMetadata(ref, "aws (ParameterStore)", &meta); err != nil {
		return meta, err
	}
	for _, alias := range []struct{ old, new *string }{{&meta.ParameterStoreType, &meta.SecretType}, {&meta.ParameterStoreKeyID, &meta.KMSKeyID}} {
		switch {
		case *alias.new == "":
		case *alias.old != "" && *alias.old != *alias.new:
			return meta, fmt.Errorf("%w: metadata.spec: secretType and parameterStoreType (or kmsKeyID and parameterStoreKeyID) name one setting; give one",
				provider.ErrInvalidMetadata)
		default:
			*alias.old = *alias.new
		}
	}
	switch ssmtypes.ParameterType(meta.ParameterStoreType) {
	case "":
		meta.ParameterStoreType = string(ssmtypes.ParameterTypeSecureString)
	case ssmtypes.ParameterTypeString, ssmtypes.ParameterTypeStringList, ssmtypes.ParameterTypeSecureString:
	default:
		return meta, fmt.Errorf("%w: metadata.spec.parameterStoreType: %q: use String, StringList or SecureString", provider.ErrInvalidMetadata, meta.ParameterStoreType)
	}
	switch {
	case meta.ParameterStoreKeyID != "" && meta.ParameterStoreType != string(ssmtypes.ParameterTypeSecureString):
		return meta, fmt.Errorf("%w: metadata.spec.parameterStoreKeyID: only a SecureString is encrypted with a key", provider.ErrInvalidMetadata)
	case len(meta.Tier) > 0:
		meta.tier = &parameterTier{}
		if err := decodeNested(meta.Tier, "tier", meta.tier); err != nil {
			return meta, err
		}
		if err := meta.tier.validate(); err != nil {
			return meta, err
		}
	}
	return meta, refuseManagedByTag(meta.Tags)
}

// PushSecret writes value (or sets ref.Property of the JSON object) as a parameter of the
// metadata's type (SecureString by default), tagged managed-by=external-secrets and the
// metadata's tags on creation. A parameter that exists without that tag is not
// overwritten; an unchanged value writes nothing.
func (p *parameterStore) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	meta, err := parameterStoreMetadataOf(ref)
	if err != nil {
		return err
	}
	w, err := p.writer()
	if err != nil {
		return err
	}
	if ref.SecretKey == "" && !meta.EncodeAsDecoded {
		if value, err = base64Values(value); err != nil {
			return err
		}
	}
	key := remoteKey(p.prefix, ref.RemoteKey)
	next, exists, unchanged, err := planPush(ctx, p.currentParameter, "parameter", key, value, ref.Property)
	if err != nil || unchanged {
		return err
	}
	in := &ssm.PutParameterInput{Name: aws.String(key), Value: aws.String(string(next)),
		Type: ssmtypes.ParameterType(meta.ParameterStoreType), Overwrite: aws.Bool(exists)}
	if meta.Description != "" {
		in.Description = aws.String(meta.Description)
	}
	if meta.ParameterStoreKeyID != "" {
		in.KeyId = aws.String(meta.ParameterStoreKeyID)
	}
	if t := meta.tier; t != nil {
		in.Tier = t.Type
		if t.Policies != nil {
			in.Policies = aws.String(string(t.Policies))
		}
	}
	if _, err := w.PutParameter(ctx, in); err != nil {
		return fmt.Errorf("writing parameter %q: %w", key, err)
	}
	if !exists {
		tags := []ssmtypes.Tag{{Key: aws.String(provider.ManagedByTag), Value: aws.String(provider.ManagedByValue)}}
		for _, k := range slices.Sorted(maps.Keys(meta.Tags)) {
			tags = append(tags, ssmtypes.Tag{Key: aws.String(k), Value: aws.String(meta.Tags[k])})
		}
		if _, err := w.AddTagsToResource(ctx, &ssm.AddTagsToResourceInput{ResourceType: ssmtypes.ResourceTypeForTaggingParameter,
			ResourceId: aws.String(key), Tags: tags}); err != nil {
			return fmt.Errorf("tagging parameter %q: %w", key, err)
		}
	}
	return nil
}

// base64Values turns a whole Secret's JSON object of text values into the one ESO writes
// to Parameter Store without encodeAsDecoded: the same keys, each value base64.
func base64Values(whole []byte) ([]byte, error) {
	var text map[string]string
	if err := json.Unmarshal(whole, &text); err != nil {
		return nil, errors.New("the whole Secret's data is not a JSON object of strings")
	}
	raw := make(map[string][]byte, len(text))
	for k, v := range text {
		raw[k] = []byte(v)
	}
	return json.Marshal(raw)
}

// DeleteSecret deletes the parameter (or only ref.Property of its JSON object).
func (p *parameterStore) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	w, err := p.writer()
	if err != nil {
		return err
	}
	key := remoteKey(p.prefix, ref.RemoteKey)
	rest, exists, err := planDelete(ctx, p.currentParameter, "parameter", key, ref.Property)
	if err != nil || !exists {
		return err
	}
	if rest != nil {
		_, err := w.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(key), Value: aws.String(string(rest)),
			Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)})
		return err
	}
	if _, err := w.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(key)}); err != nil {
		var nf *ssmtypes.ParameterNotFound
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("deleting parameter %q: %w", key, err)
	}
	return nil
}

// SecretExists says whether the parameter exists.
func (p *parameterStore) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	_, exists, _, err := p.currentParameter(ctx, remoteKey(p.prefix, ref.RemoteKey))
	return exists, err
}
