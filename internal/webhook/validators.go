package webhook

import (
	"context"
	"errors"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/validation"
)

// externalSecretValidator refuses ExternalSecrets that can never sync.
type externalSecretValidator struct{}

func (externalSecretValidator) ValidateCreate(_ context.Context, es *esv1.ExternalSecret) (admission.Warnings, error) {
	return warnUnsupported(es), validation.ExternalSecret(es)
}

func (externalSecretValidator) ValidateUpdate(_ context.Context, _, es *esv1.ExternalSecret) (admission.Warnings, error) {
	return warnUnsupported(es), validation.ExternalSecret(es)
}

func (externalSecretValidator) ValidateDelete(context.Context, *esv1.ExternalSecret) (admission.Warnings, error) {
	return nil, nil
}

// warnUnsupported accepts fields this version does not act on yet, with a warning, so
// manifests written for ESO still apply.
func warnUnsupported(es *esv1.ExternalSecret) admission.Warnings {
	if err := validation.Unsupported(es); err != nil {
		return admission.Warnings{err.Error()}
	}
	return nil
}

// storeValidator refuses stores whose provider configuration is wrong as written.
type storeValidator[T esv1.GenericStore] struct {
	registry *provider.Registry
}

func (v storeValidator[T]) validate(store T) error {
	if err := validation.Store(store); err != nil {
		return err
	}
	p, err := v.registry.ForStore(store)
	if err != nil {
		return err
	}
	return p.ValidateStore(store)
}

func (v storeValidator[T]) ValidateCreate(_ context.Context, store T) (admission.Warnings, error) {
	return nil, v.validate(store)
}

func (v storeValidator[T]) ValidateUpdate(_ context.Context, _, store T) (admission.Warnings, error) {
	return nil, v.validate(store)
}

func (storeValidator[T]) ValidateDelete(context.Context, T) (admission.Warnings, error) {
	return nil, nil
}

// Register adds the validating webhooks of the three kinds, and the conversion webhook
// for every kind that has more than one served version, to the manager's webhook server.
func Register(mgr ctrl.Manager, registry *provider.Registry) error {
	return errors.Join(
		ctrl.NewWebhookManagedBy(mgr, &esv1.ExternalSecret{}).WithValidator(externalSecretValidator{}).Complete(),
		ctrl.NewWebhookManagedBy(mgr, &esv1.SecretStore{}).WithValidator(storeValidator[*esv1.SecretStore]{registry: registry}).Complete(),
		ctrl.NewWebhookManagedBy(mgr, &esv1.ClusterSecretStore{}).WithValidator(storeValidator[*esv1.ClusterSecretStore]{registry: registry}).Complete(),
	)
}
