package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferryhq/ferry/internal/provider"
)

// secretsWriteAPI is the part of the remote cluster's Secrets API PushSecret writes with.
type secretsWriteAPI interface {
	secretsAPI
	Create(ctx context.Context, secret *corev1.Secret, opts metav1.CreateOptions) (*corev1.Secret, error)
	Update(ctx context.Context, secret *corev1.Secret, opts metav1.UpdateOptions) (*corev1.Secret, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

var _ provider.Writer = (*secretsClient)(nil)

// target is the namespace and Secrets API an entry is pushed through: the store's remote
// namespace, or the metadata's remoteNamespace (ClusterSecretStore only).
func (c *secretsClient) target(ref provider.PushRef) (secretsWriteAPI, string, pushMetadata, error) {
	meta, err := pushMetadataOf(ref, c.clusterStore)
	if err != nil {
		return nil, "", meta, err
	}
	secrets, namespace := c.secrets, c.namespace
	if meta.RemoteNamespace != "" && meta.RemoteNamespace != c.namespace && c.secretsIn != nil {
		secrets, namespace = c.secretsIn(meta.RemoteNamespace), meta.RemoteNamespace
	}
	w, ok := secrets.(secretsWriteAPI)
	if !ok {
		return nil, "", meta, errors.New("this Kubernetes client cannot write")
	}
	return w, namespace, meta, nil
}

// remote reads the Secret at name; nil when it does not exist.
func remote(ctx context.Context, secrets secretsAPI, namespace, name string) (*corev1.Secret, error) {
	s, err := secrets.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s/%s: %w", namespace, name, err)
	}
	return s, nil
}

func managed(s *corev1.Secret) bool {
	return s.Labels[provider.ManagedByTag] == provider.ManagedByValue
}

// PushSecret writes value under key ref.Property of the Secret ref.RemoteKey, or, without a
// property, makes value (a JSON object of strings) the Secret's data, with the source's
// labels and annotations and the metadata's (pushMetadata.apply); a Secret it creates has
// the source's type. Secrets Ferry creates carry the label
// managed-by=external-secrets; an existing Secret without it is left alone.
func (c *secretsClient) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	w, namespace, meta, err := c.target(ref)
	if err != nil {
		return err
	}
	cur, err := remote(ctx, w, namespace, ref.RemoteKey)
	if err != nil {
		return err
	}
	if cur != nil && !managed(cur) {
		return fmt.Errorf("secret %s/%s: %w", namespace, ref.RemoteKey, provider.ErrNotManaged)
	}
	data := map[string][]byte{}
	if ref.Property == "" {
		var obj map[string]string
		if err := json.Unmarshal(value, &obj); err != nil {
			return fmt.Errorf("secret %s/%s: without remoteRef.property the pushed value must be a JSON object of strings; set a property to push one key",
				namespace, ref.RemoteKey)
		}
		for k, v := range obj {
			data[k] = []byte(v)
		}
	} else {
		if cur != nil {
			maps.Copy(data, cur.Data)
		}
		data[ref.Property] = value
	}
	if cur == nil {
		labels, annotations := meta.apply(ref.Source, nil, nil)
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: ref.RemoteKey, Namespace: namespace,
			Labels: labels, Annotations: annotations}, Data: data}
		if ref.Source != nil {
			// The type is the source's (or spec.template's); it cannot change once created.
			secret.Type = corev1.SecretType(ref.Source.Type)
		}
		if _, err := w.Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating Secret %s/%s: %w", namespace, ref.RemoteKey, err)
		}
		return nil
	}
	labels, annotations := cur.Labels, cur.Annotations
	if ref.Source != nil || provider.HasMetadata(ref) {
		labels, annotations = meta.apply(ref.Source, cur.Labels, cur.Annotations)
	}
	if sameData(cur.Data, data) && maps.Equal(labels, cur.Labels) && maps.Equal(annotations, cur.Annotations) {
		return nil
	}
	cur.Data, cur.Labels, cur.Annotations = data, labels, annotations
	if _, err := w.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("updating Secret %s/%s: %w", namespace, ref.RemoteKey, err)
	}
	return nil
}

// DeleteSecret removes key ref.Property from the Secret, or the whole Secret when no
// property is set or no key is left.
func (c *secretsClient) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	w, namespace, _, err := c.target(ref)
	if err != nil {
		return err
	}
	cur, err := remote(ctx, w, namespace, ref.RemoteKey)
	if err != nil || cur == nil {
		return err
	}
	if !managed(cur) {
		return fmt.Errorf("secret %s/%s: %w", namespace, ref.RemoteKey, provider.ErrNotManaged)
	}
	if ref.Property != "" {
		delete(cur.Data, ref.Property)
		if len(cur.Data) > 0 {
			if _, err := w.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("updating Secret %s/%s: %w", namespace, ref.RemoteKey, err)
			}
			return nil
		}
	}
	uid := cur.UID
	err = w.Delete(ctx, ref.RemoteKey, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting Secret %s/%s: %w", namespace, ref.RemoteKey, err)
	}
	return nil
}

// SecretExists says whether the Secret (or its key ref.Property) exists.
func (c *secretsClient) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	w, namespace, _, err := c.target(ref)
	if err != nil {
		return false, err
	}
	cur, err := remote(ctx, w, namespace, ref.RemoteKey)
	if err != nil || cur == nil {
		return false, err
	}
	if ref.Property == "" {
		return true, nil
	}
	_, ok := cur.Data[ref.Property]
	return ok, nil
}

func sameData(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}
