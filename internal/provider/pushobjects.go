package provider

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// NamespaceObjects reads one key of a ConfigMap or Secret of a single namespace, the one
// of the object being reconciled: push metadata that names an object cannot reach another.
type NamespaceObjects interface {
	// Key returns the value of key in the object of kind ("ConfigMap" or "Secret") named
	// name. Errors name the object and key, never a value.
	Key(ctx context.Context, kind, name, key string) ([]byte, error)
}

// ObjectsIn returns the NamespaceObjects of namespace, read through kube.
func ObjectsIn(kube client.Reader, namespace string) NamespaceObjects {
	return namespaceObjects{kube: kube, namespace: namespace}
}

type namespaceObjects struct {
	kube      client.Reader
	namespace string
}

func (o namespaceObjects) Key(ctx context.Context, kind, name, key string) ([]byte, error) {
	objKey := client.ObjectKey{Namespace: o.namespace, Name: name}
	switch kind {
	case "ConfigMap":
		var cm corev1.ConfigMap
		if err := o.kube.Get(ctx, objKey, &cm); err != nil {
			return nil, o.readError(kind, name, err)
		}
		if v, ok := cm.Data[key]; ok {
			return []byte(v), nil
		}
		if v, ok := cm.BinaryData[key]; ok {
			return v, nil
		}
	case "Secret":
		var secret corev1.Secret
		if err := o.kube.Get(ctx, objKey, &secret); err != nil {
			return nil, o.readError(kind, name, err)
		}
		if v, ok := secret.Data[key]; ok {
			return v, nil
		}
	default:
		return nil, fmt.Errorf("kind %q: use ConfigMap or Secret", kind)
	}
	return nil, fmt.Errorf("%s %s/%s has no key %q", kind, o.namespace, name, key)
}

// readError names the object; the API server's message carries no data of the object.
func (o namespaceObjects) readError(kind, name string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %s/%s not found", kind, o.namespace, name)
	}
	return fmt.Errorf("reading %s %s/%s: %w", kind, o.namespace, name, err)
}
