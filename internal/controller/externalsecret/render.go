package externalsecret

import (
	"context"
	"errors"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/render"
)

// render applies spec.target.template to the fetched values (internal/render), reading
// templateFrom sources uncached from the ExternalSecret's own namespace: ConfigMaps are not
// held in memory.
func (r *Reconciler) render(ctx context.Context, s *scope, fetched map[string][]byte) (render.Result, error) {
	es := s.es
	out, err := render.Render(ctx, es.Spec.Target.Template, fetched, render.APISources{Reader: r.APIReader, Namespace: es.Namespace, Secrets: s.secrets})
	var rerr *render.Error
	if errors.As(err, &rerr) {
		if rerr.Spec {
			return out, failure.Permanent(esv1.ReasonInvalidSpec, "%v", err)
		}
		return out, failure.Permanent(esv1.ReasonSecretSyncedError, "%v", err)
	}
	return out, err
}
