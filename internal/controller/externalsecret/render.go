package externalsecret

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/redact"
	"github.com/ferryhq/ferry/internal/render"
)

// render applies spec.target.template to the fetched values (internal/render), reading
// templateFrom sources uncached from the ExternalSecret's own namespace: ConfigMaps are not
// held in memory.
func (r *Reconciler) render(ctx context.Context, s *scope, fetched map[string][]byte) (render.Result, error) {
	es := s.es
	out, err := render.Render(ctx, es.Spec.Target.Template, fetched, apiSources{reader: r.APIReader, namespace: es.Namespace, secrets: s.secrets})
	var rerr *render.Error
	if errors.As(err, &rerr) {
		if rerr.Spec {
			return out, failure.Permanent(esv1.ReasonInvalidSpec, "%v", err)
		}
		return out, failure.Permanent(esv1.ReasonSecretSyncedError, "%v", err)
	}
	return out, err
}

// apiSources reads templateFrom sources from the API server, always in the ExternalSecret's
// own namespace: TemplateRef has no namespace field, and none is added here.
type apiSources struct {
	reader    client.Reader
	namespace string
	// secrets learns the values of the Secrets read, to redact them from messages.
	secrets *redact.Set
}

func (s apiSources) ConfigMap(ctx context.Context, name string) (map[string]string, error) {
	var cm corev1.ConfigMap
	if err := s.reader.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, &cm); err != nil {
		return nil, describeGetError("ConfigMap", name, err)
	}
	return cm.Data, nil
}

func (s apiSources) Secret(ctx context.Context, name string) (map[string]string, error) {
	var secret corev1.Secret
	if err := s.reader.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: name}, &secret); err != nil {
		return nil, describeGetError("Secret", name, err)
	}
	s.secrets.AddMap(secret.Data)
	data := make(map[string]string, len(secret.Data))
	for k, v := range secret.Data {
		data[k] = string(v)
	}
	return data, nil
}

func describeGetError(kind, name string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s %s not found in the ExternalSecret's namespace", kind, name)
	}
	return fmt.Errorf("reading %s %s: %w", kind, name, err)
}
