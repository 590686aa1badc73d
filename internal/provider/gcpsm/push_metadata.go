package gcpsm

import (
	"fmt"
	"maps"

	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"

	"github.com/ferryhq/ferry/internal/provider"
)

// pushMetadata is the metadata a PushSecret entry may give a Secret Manager secret: the
// keys ESO's GCP provider reads, with its meaning.
type pushMetadata struct {
	// Labels are the secret's labels besides managed-by; with MergePolicy Merge, labels
	// the secret already has are kept.
	Labels map[string]string `json:"labels"`
	// Annotations replace the secret's annotations.
	Annotations map[string]string `json:"annotations"`
	// MergePolicy is Replace (the default) or Merge, for labels.
	MergePolicy string `json:"mergePolicy"`
	// Topics are Pub/Sub topics notified of changes, given when the secret is created.
	Topics []string `json:"topics"`
	// CMEKKeyName is the Cloud KMS key encrypting the secret, given when it is created.
	CMEKKeyName string `json:"cmekKeyName"`
	// ReplicationLocation(s) make a global secret's replication user-managed in those
	// locations; given when it is created (replication cannot change).
	ReplicationLocation  string   `json:"replicationLocation"`
	ReplicationLocations []string `json:"replicationLocations"`
}

const (
	mergePolicyReplace = "Replace"
	mergePolicyMerge   = "Merge"
)

// pushMetadataOf decodes and checks ref's metadata.
func (c *Client) pushMetadataOf(ref provider.PushRef) (pushMetadata, error) {
	var meta pushMetadata
	if err := provider.DecodeMetadata(ref, "gcpsm", &meta); err != nil {
		return meta, err
	}
	switch {
	case provider.HasMetadata(ref) && ref.Property != "":
		// ESO refuses the pair too: a property's secret is shared by several entries,
		// whose metadata would fight over its labels.
		return meta, fmt.Errorf("%w: metadata and remoteRef.property cannot be used together: push the whole secret to give it metadata", provider.ErrInvalidMetadata)
	case meta.MergePolicy != "" && meta.MergePolicy != mergePolicyReplace && meta.MergePolicy != mergePolicyMerge:
		return meta, fmt.Errorf("%w: metadata.spec.mergePolicy: %q: use Replace or Merge", provider.ErrInvalidMetadata, meta.MergePolicy)
	case c.location != "" && (meta.ReplicationLocation != "" || len(meta.ReplicationLocations) > 0):
		return meta, fmt.Errorf("%w: metadata.spec.replicationLocation(s): the store is regional (location %s), and a regional secret has no replication; remove it or use a global store",
			provider.ErrInvalidMetadata, c.location)
	}
	return meta, provider.RefuseManagedByKey("labels", meta.Labels)
}

// newSecret is the secret a push creates: managed-by, the metadata's labels, annotations
// and topics, and its replication and encryption.
func (c *Client) newSecret(meta pushMetadata) *secretmanagerpb.Secret {
	secret := &secretmanagerpb.Secret{Labels: meta.labels(nil), Annotations: meta.Annotations}
	for _, topic := range meta.Topics {
		secret.Topics = append(secret.Topics, &secretmanagerpb.Topic{Name: topic})
	}
	var cmek *secretmanagerpb.CustomerManagedEncryption
	if meta.CMEKKeyName != "" {
		cmek = &secretmanagerpb.CustomerManagedEncryption{KmsKeyName: meta.CMEKKeyName}
	}
	if c.location != "" {
		// A regional secret has no replication; its key is the secret's own.
		secret.CustomerManagedEncryption = cmek
		return secret
	}
	locations := meta.ReplicationLocations
	if len(locations) == 0 && meta.ReplicationLocation != "" {
		locations = []string{meta.ReplicationLocation}
	}
	if len(locations) == 0 {
		secret.Replication = &secretmanagerpb.Replication{Replication: &secretmanagerpb.Replication_Automatic_{
			Automatic: &secretmanagerpb.Replication_Automatic{CustomerManagedEncryption: cmek}}}
		return secret
	}
	userManaged := &secretmanagerpb.Replication_UserManaged{}
	for _, location := range locations {
		userManaged.Replicas = append(userManaged.Replicas,
			&secretmanagerpb.Replication_UserManaged_Replica{Location: location, CustomerManagedEncryption: cmek})
	}
	secret.Replication = &secretmanagerpb.Replication{Replication: &secretmanagerpb.Replication_UserManaged_{UserManaged: userManaged}}
	return secret
}

// labels are the labels the secret should carry, given those it has: the metadata's, over
// the existing ones under Merge, and always managed-by.
func (meta pushMetadata) labels(existing map[string]string) map[string]string {
	out := map[string]string{}
	if meta.MergePolicy == mergePolicyMerge {
		maps.Copy(out, existing)
	}
	maps.Copy(out, meta.Labels)
	out[provider.ManagedByTag] = provider.ManagedByValue
	return out
}
