package generator

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/redact"
)

// secretKey reads one key of a Secret that a generator's spec names at field. The Secret
// is read in namespace, the ExternalSecret's: a generator, a ClusterGenerator too, acts for
// the namespace that uses it, so a selector naming another namespace is an invalid spec.
// Errors name the Secret and key, never the value.
func secretKey(ctx context.Context, kube client.Reader, namespace string, sel esv1.SecretKeySelector, field string) ([]byte, error) {
	if sel.Name == "" || sel.Key == "" {
		return nil, invalid(fmt.Errorf("%s: name and key are required", field))
	}
	if err := inNamespace(sel.Namespace, namespace, field, "reads Secrets"); err != nil {
		return nil, err
	}
	var secret corev1.Secret
	if err := kube.Get(ctx, client.ObjectKey{Namespace: namespace, Name: sel.Name}, &secret); err != nil {
		return nil, fmt.Errorf("%s: reading Secret %s/%s: %w", field, namespace, sel.Name, err)
	}
	value, ok := secret.Data[sel.Key]
	if !ok {
		return nil, fmt.Errorf("%s: Secret %s/%s has no key %q", field, namespace, sel.Name, sel.Key)
	}
	redact.RememberCredential(value)
	return value, nil
}

// inNamespace refuses a reference (at field) whose namespace is set to another than
// namespace, the ExternalSecret's: a generator, a ClusterGenerator too, acts for the
// namespace that uses it. what says what the generator does there ("reads Secrets").
func inNamespace(refNamespace *string, namespace, field, what string) error {
	if refNamespace == nil || *refNamespace == "" || *refNamespace == namespace {
		return nil
	}
	return invalid(fmt.Errorf("%s.namespace: a generator %s only in the namespace of the ExternalSecret that uses it (%s), not in %s",
		field, what, namespace, *refNamespace))
}

// renamed rewrites the message of a provider's error, whose field paths start at a store's
// spec.provider.<name>, so they name the generator's own fields.
type renamed struct {
	err error
	msg string
}

func (r *renamed) Error() string { return r.msg }
func (r *renamed) Unwrap() error { return r.err }
