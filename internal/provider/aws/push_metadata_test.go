package aws

import (
	"errors"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/ferryhq/ferry/internal/provider"
)

func metadataRef(spec string) provider.PushRef {
	return provider.PushRef{RemoteKey: "k", Metadata: &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion": "kubernetes.external-secrets.io/v1alpha1",
		"kind": "PushSecretMetadata", "spec": ` + spec + `}`)}}
}

// TestPushMetadataRefusals checks that metadata of the wrong shape is InvalidMetadata with
// a message naming the field and what it takes.
func TestPushMetadataRefusals(t *testing.T) {
	for _, c := range []struct {
		name, spec, want string
		parameterStore   bool
	}{
		{"tier type", `{"tier": {"type": "Premium"}}`, `metadata.spec.tier.type: "Premium": use Standard, Advanced or Intelligent-Tiering`, true},
		{"tier as a string", `{"tier": "Advanced"}`, "metadata.spec.tier: must be a JSON object", true},
		{"tier unknown key", `{"tier": {"type": "Advanced", "expires": "2030"}}`, `metadata.spec.tier: unknown key "expires"`, true},
		{"policies on standard", `{"tier": {"type": "Standard", "policies": [{"Type": "Expiration"}]}}`, "metadata.spec.tier.policies: parameter policies need tier type Advanced", true},
		{"policies not an array", `{"tier": {"type": "Advanced", "policies": {"Type": "Expiration"}}}`, "metadata.spec.tier.policies: must be a JSON array", true},
		{"policy without ref", `{"resourcePolicy": {"blockPublicPolicy": true}}`, "metadata.spec.resourcePolicy.policySourceRef: required", false},
		{"policy ref kind", `{"resourcePolicy": {"policySourceRef": {"kind": "Pod", "name": "p", "key": "k"}}}`, `metadata.spec.resourcePolicy.policySourceRef.kind: "Pod": use ConfigMap or Secret`, false},
		{"policy ref without key", `{"resourcePolicy": {"policySourceRef": {"kind": "Secret", "name": "p"}}}`, "metadata.spec.resourcePolicy.policySourceRef: name and key are required", false},
		{"policy ref namespace", `{"resourcePolicy": {"policySourceRef": {"kind": "Secret", "name": "p", "key": "k", "namespace": "other"}}}`, `metadata.spec.resourcePolicy: unknown key "namespace"`, false},
		{"policy mark tag", `{"tags": {"ferry-resource-policy": "managed"}}`, "metadata.spec.tags.ferry-resource-policy: set by Ferry itself", false},
		{"empty region", `{"replicationLocations": ["eu-central-1", ""]}`, `metadata.spec.replicationLocations[1]: ""`, false},
		{"region twice", `{"replicationLocations": ["eu-central-1", "eu-central-1"]}`, `metadata.spec.replicationLocations[1]: "eu-central-1": list each region`, false},
	} {
		var err error
		if c.parameterStore {
			_, err = parameterStoreMetadataOf(metadataRef(c.spec))
		} else {
			_, err = secretsManagerMetadataOf(metadataRef(c.spec))
		}
		if !errors.Is(err, provider.ErrInvalidMetadata) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want InvalidMetadata containing %q", c.name, err, c.want)
		}
	}
}

// TestPushMetadataTierAccepted reads the tier and policies PutParameter is given.
func TestPushMetadataTierAccepted(t *testing.T) {
	meta, err := parameterStoreMetadataOf(metadataRef(`{"tier": {"type": "Advanced",
		"policies": [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2030-12-02T21:34:33.000Z"}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if meta.tier == nil || meta.tier.Type != "Advanced" || !strings.HasPrefix(string(meta.tier.Policies), `[{"Type": "Expiration"`) {
		t.Errorf("tier = %+v", meta.tier)
	}
}
