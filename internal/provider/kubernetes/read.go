package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// secretsClient reads the Secrets of one namespace of a cluster.
type secretsClient struct {
	secrets   secretsAPI
	reviews   accessReviewAPI
	namespace string
	http      *http.Client
	// secretsIn reaches another namespace of the same cluster, for push metadata's
	// remoteNamespace; clusterStore says whether the store may use it.
	secretsIn    func(namespace string) secretsAPI
	clusterStore bool
}

var _ provider.Client = (*secretsClient)(nil)

// GetSecret returns one key of the Secret named ref.Key (ref.Property), or with no property
// all its keys as a JSON object of strings. With metadataPolicy Fetch it reads the
// Secret's labels and annotations instead: {"labels":{...},"annotations":{...}}, and
// ref.Property selects inside that ("labels", "labels.team").
func (c *secretsClient) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	secret, err := c.get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return selectProperty(metadataJSON(secret), ref.Key, ref.Property)
	}
	if ref.Property == "" {
		return dataJSON(secret.Data), nil
	}
	return secretProperty(secret.Data, ref.Key, ref.Property)
}

// GetSecretMap returns every key of the Secret, or spreads the JSON object held at
// ref.Property; with metadataPolicy Fetch, the labels and annotations.
func (c *secretsClient) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	secret, err := c.get(ctx, ref)
	if err != nil {
		return nil, err
	}
	var doc []byte
	switch {
	case ref.MetadataPolicy == esv1.MetadataPolicyFetch:
		if doc, err = selectProperty(metadataJSON(secret), ref.Key, ref.Property); err != nil {
			return nil, err
		}
	case ref.Property == "":
		out := make(map[string][]byte, len(secret.Data))
		for k, v := range secret.Data {
			out[k] = bytes.Clone(v)
		}
		return out, nil
	default:
		if doc, err = secretProperty(secret.Data, ref.Key, ref.Property); err != nil {
			return nil, err
		}
	}
	out, err := property.Spread(doc)
	if err != nil {
		return nil, fmt.Errorf("remote Secret %q: %w", ref.Key, err)
	}
	return out, nil
}

// GetAllSecrets lists the Secrets whose labels hold every find.tags pair and whose name
// matches find.name.regexp, and returns each one's keys as a JSON object of strings, keyed
// by Secret name.
func (c *secretsClient) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	sel, err := provider.CompileFind(find, provider.FindOptions{NoPaths: "Kubernetes (Secrets)"})
	if err != nil {
		return nil, err
	}
	opts := metav1.ListOptions{LabelSelector: labels.SelectorFromSet(find.Tags).String(), Limit: 500}
	out := map[string][]byte{}
	for {
		list, err := c.secrets.List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("listing Secrets in namespace %q: %w", c.namespace, err)
		}
		for i := range list.Items {
			s := &list.Items[i]
			if sel.Match(s.Name, s.Labels) {
				out[s.Name] = dataJSON(s.Data)
			}
		}
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// Validate asks the API server whether the store's credentials may read Secrets of the
// remote namespace.
func (c *secretsClient) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: c.namespace, Verb: "get", Resource: "secrets"},
	}}
	out, err := c.reviews.Create(ctx, review, metav1.CreateOptions{})
	if err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking access to Secrets in namespace %q: %w", c.namespace, err)
	}
	if !out.Status.Allowed {
		return esv1.ValidationResultError, fmt.Errorf("the store's credentials may not get Secrets in namespace %q", c.namespace)
	}
	return esv1.ValidationResultReady, nil
}

// Close drops the client's idle connections.
func (c *secretsClient) Close(context.Context) error {
	c.http.CloseIdleConnections()
	return nil
}

func (c *secretsClient) get(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (*corev1.Secret, error) {
	if ref.Version != "" {
		return nil, fmt.Errorf("remoteRef.version %q: Kubernetes Secrets keep no versions", ref.Version)
	}
	secret, err := c.secrets.Get(ctx, ref.Key, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, provider.NotFound(ref.Key)
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %s/%s: %w", c.namespace, ref.Key, err)
	}
	return secret, nil
}

// secretProperty returns the Secret key named path, or, when path is "key.inner", the
// value at inner of the JSON document that key holds (the longest key that matches wins).
func secretProperty(data map[string][]byte, name, path string) ([]byte, error) {
	if v, ok := data[path]; ok {
		return bytes.Clone(v), nil
	}
	segments := strings.Split(path, ".")
	for i := len(segments) - 1; i > 0; i-- {
		key := strings.Join(segments[:i], ".")
		if v, ok := data[key]; ok {
			return selectProperty(v, name, strings.Join(segments[i:], "."))
		}
	}
	return nil, fmt.Errorf("remote Secret %q: %w: %q", name, property.ErrNoSuchProperty, path)
}

func selectProperty(doc []byte, name, path string) ([]byte, error) {
	if path == "" {
		return doc, nil
	}
	out, err := property.Get(doc, path)
	if err != nil {
		return nil, fmt.Errorf("remote Secret %q: %w", name, err)
	}
	return out, nil
}

// dataJSON encodes a Secret's data as a JSON object of strings, keys sorted, without HTML
// escaping.
func dataJSON(data map[string][]byte) []byte {
	m := make(map[string]string, len(data))
	for k, v := range data {
		m[k] = string(v)
	}
	return encode(m)
}

func metadataJSON(s *corev1.Secret) []byte {
	labels, annotations := s.Labels, s.Annotations
	if labels == nil {
		labels = map[string]string{}
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	return encode(map[string]map[string]string{"labels": labels, "annotations": annotations})
}

func encode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimRight(buf.Bytes(), "\n")
}
