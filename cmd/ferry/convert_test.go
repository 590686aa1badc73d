package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestConvertSeedManifests(t *testing.T) {
	in := `# the walkthrough's manifests
apiVersion: v1
kind: Namespace
metadata:
  name: example
---
apiVersion: external-secrets.io/v1alpha1
kind: SecretStore
metadata:
  name: secretstore-example
  namespace: example
spec:
  provider:
    aws:
      service: SecretsManager
      region: eu-west-1
      auth:
        jwt:
          serviceAccountRef:
            name: example
---
apiVersion: external-secrets.io/v1alpha1
kind: ExternalSecret
metadata:
  name: externalsecret-example
  namespace: example
spec:
  refreshInterval: 1m
  secretStoreRef:
    name: secretstore-example
    kind: SecretStore
  target:
    name: example-secret
    creationPolicy: Owner
  dataFrom:
  - key: example
`
	var out bytes.Buffer
	if err := runConvert(nil, strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := `# the walkthrough's manifests
apiVersion: v1
kind: Namespace
metadata:
  name: example
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: secretstore-example
  namespace: example
spec:
  provider:
    aws:
      auth:
        jwt:
          serviceAccountRef:
            name: example
      region: eu-west-1
      service: SecretsManager
      sessionTagsPolicy: None
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: externalsecret-example
  namespace: example
spec:
  dataFrom:
  - extract:
      key: example
  refreshInterval: 1m
  secretStoreRef:
    kind: SecretStore
    name: secretstore-example
  target:
    creationPolicy: Owner
    deletionPolicy: Retain
    name: example-secret
`
	if out.String() != want {
		t.Errorf("converted manifests:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestConvertRefusesUnknownFields(t *testing.T) {
	in := `apiVersion: external-secrets.io/v1alpha1
kind: ExternalSecret
metadata: {name: x}
spec:
  dataFromm: []
`
	err := runConvert(nil, strings.NewReader(in), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "dataFromm") {
		t.Fatalf("error = %v, want one naming the unknown field", err)
	}
}
