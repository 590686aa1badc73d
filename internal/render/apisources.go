package render

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/redact"
)

// APISources reads templateFrom sources from the API server, always in one namespace (the
// templated object's own: TemplateRef has no namespace field, and none is added here).
type APISources struct {
	Reader    client.Reader
	Namespace string
	// Secrets learns the values of the Secrets read, to redact them from messages.
	Secrets *redact.Set
}

// ConfigMap returns the data of the named ConfigMap.
func (s APISources) ConfigMap(ctx context.Context, name string) (map[string]string, error) {
	var cm corev1.ConfigMap
	if err := s.Reader.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, &cm); err != nil {
		return nil, s.describe("ConfigMap", name, err)
	}
	return cm.Data, nil
}

// Secret returns the data of the named Secret, as text.
func (s APISources) Secret(ctx context.Context, name string) (map[string]string, error) {
	var secret corev1.Secret
	if err := s.Reader.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, &secret); err != nil {
		return nil, s.describe("Secret", name, err)
	}
	s.Secrets.AddMap(secret.Data)
	data := make(map[string]string, len(secret.Data))
	for k, v := range secret.Data {
		data[k] = string(v)
	}
	return data, nil
}

func (s APISources) describe(kind, name string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %s not found in namespace %s", kind, name, s.Namespace)
	}
	return fmt.Errorf("reading %s %s: %w", kind, name, err)
}
