package provider

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/redact"
)

// SecretData reads every key of the Secret named name (in the namespace the rules of
// RefNamespace give for refNamespace). Errors name the Secret, never a value.
func SecretData(ctx context.Context, kube client.Reader, store esv1.GenericStore, namespace string,
	name string, refNamespace *string, field string) (map[string][]byte, error) {
	secret, err := readSecret(ctx, kube, store, namespace, name, refNamespace, field)
	if err != nil {
		return nil, err
	}
	rememberData(secret.Data)
	return secret.Data, nil
}

// LabelledSecretData is SecretData for a Secret that must carry the label key=value, which
// says that its owner lent it to this use: without the label, nothing of it is returned.
func LabelledSecretData(ctx context.Context, kube client.Reader, store esv1.GenericStore, namespace string,
	name string, refNamespace *string, key, value, field string) (map[string][]byte, error) {
	secret, err := readSecret(ctx, kube, store, namespace, name, refNamespace, field)
	if err != nil {
		return nil, err
	}
	if secret.Labels[key] != value {
		return nil, fmt.Errorf("%s: Secret %s/%s does not carry the label %s=%s: label it to let this store use it",
			field, secret.Namespace, secret.Name, key, value)
	}
	rememberData(secret.Data)
	return secret.Data, nil
}

// rememberData records every value of a Secret a store authenticates with as a
// credential, for every message of the process to be redacted of it.
func rememberData(data map[string][]byte) {
	for _, v := range data {
		redact.RememberCredential(v)
	}
}

func readSecret(ctx context.Context, kube client.Reader, store esv1.GenericStore, namespace string,
	name string, refNamespace *string, field string) (*corev1.Secret, error) {
	if name == "" {
		return nil, fmt.Errorf("%s.name: required", field)
	}
	ns, err := RefNamespace(store, refNamespace, namespace, field)
	if err != nil {
		return nil, err
	}
	var secret corev1.Secret
	if err := kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &secret); err != nil {
		return nil, fmt.Errorf("%s: reading Secret %s/%s: %w", field, ns, name, err)
	}
	return &secret, nil
}

// CertPool returns the CA certificates a store trusts for its server: bundle (PEM), plus
// those of the Secret or ConfigMap key that ca names, under the namespace rules of
// RefNamespace. It returns nil, meaning the system's roots, when neither is set. field
// names the provider's spec (e.g. "spec.provider.vault") in errors.
func CertPool(ctx context.Context, kube client.Reader, store esv1.GenericStore, namespace string,
	bundle []byte, ca *esv1.CAProvider, field string) (*x509.CertPool, error) {
	if len(bundle) == 0 && ca == nil {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if len(bundle) > 0 && !pool.AppendCertsFromPEM(bundle) {
		return nil, fmt.Errorf("%s.caBundle: no PEM certificate found", field)
	}
	if ca == nil {
		return pool, nil
	}
	pem, err := CAProviderPEM(ctx, kube, store, namespace, ca, field+".caProvider")
	if err != nil {
		return nil, err
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s.caProvider: %s %s key %q holds no PEM certificate", field, ca.Type, ca.Name, ca.Key)
	}
	return pool, nil
}

// CAProviderPEM reads the PEM certificates of the Secret or ConfigMap key that ca names,
// under the namespace rules of RefNamespace. field names ca in errors.
func CAProviderPEM(ctx context.Context, kube client.Reader, store esv1.GenericStore, namespace string,
	ca *esv1.CAProvider, field string) ([]byte, error) {
	if ca.Name == "" || ca.Key == "" {
		return nil, fmt.Errorf("%s: name and key are required", field)
	}
	switch ca.Type {
	case esv1.CAProviderTypeSecret:
		return SecretKeyValue(ctx, kube, store, namespace,
			esv1.SecretKeySelector{Name: ca.Name, Namespace: ca.Namespace, Key: ca.Key}, field)
	case esv1.CAProviderTypeConfigMap:
		return ConfigMapKeyValue(ctx, kube, store, namespace, ca.Name, ca.Namespace, ca.Key, field)
	default:
		return nil, errors.New(field + ".type: must be Secret or ConfigMap")
	}
}

// ConfigMapKeyValue reads one key of the ConfigMap name, under the namespace rules of
// RefNamespace. field names the reference in errors.
func ConfigMapKeyValue(ctx context.Context, kube client.Reader, owner Referent, namespace string,
	name string, refNamespace *string, key, field string) ([]byte, error) {
	ns, err := RefNamespace(owner, refNamespace, namespace, field)
	if err != nil {
		return nil, err
	}
	var cm corev1.ConfigMap
	if err := kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm); err != nil {
		return nil, fmt.Errorf("%s: reading ConfigMap %s/%s: %w", field, ns, name, err)
	}
	if v, ok := cm.Data[key]; ok {
		return []byte(v), nil
	}
	if v, ok := cm.BinaryData[key]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("%s: ConfigMap %s/%s has no key %q", field, ns, name, key)
}
