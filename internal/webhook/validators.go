package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/validation"
)

// warnUnsupported accepts fields this version does not act on yet, with a warning, so
// manifests written for ESO still apply.
func warnUnsupported(es *esv1.ExternalSecret) admission.Warnings {
	if err := validation.Unsupported(es); err != nil {
		return admission.Warnings{err.Error()}
	}
	return nil
}

// storeValidator refuses stores whose provider configuration is wrong as written. A store of
// a provider Ferry does not implement, or using a provider setting Ferry does not implement
// yet (with a warning), is admitted as the schema checked it: it may be another controller's,
// and Ferry reports it rather than refusing it.
type storeValidator[T esv1.GenericStore] struct {
	registry *provider.Registry
}

func (v storeValidator[T]) validate(store T) (admission.Warnings, error) {
	if err := validation.Store(store); err != nil {
		return nil, err
	}
	p, err := v.registry.ForStore(store)
	var notImplemented *provider.NotImplementedError
	switch {
	case errors.As(err, &notImplemented):
		return nil, nil
	case err != nil:
		return nil, err
	}
	// What Ferry does not implement yet, and what ESO admits although it cannot work, are
	// admitted with a warning; the store's condition reports both.
	gaps, mistakes := provider.Split(p.ValidateStore(store), provider.ErrFeatureNotImplemented, provider.ErrAdmittedMistake)
	if len(mistakes) > 0 {
		return nil, errors.Join(mistakes...)
	}
	var warnings admission.Warnings
	for _, g := range gaps {
		warnings = append(warnings, g.Error())
	}
	return warnings, nil
}

func (v storeValidator[T]) ValidateCreate(_ context.Context, store T) (admission.Warnings, error) {
	return v.validate(store)
}

func (v storeValidator[T]) ValidateUpdate(_ context.Context, _, store T) (admission.Warnings, error) {
	return v.validate(store)
}

func (storeValidator[T]) ValidateDelete(context.Context, T) (admission.Warnings, error) {
	return nil, nil
}

// Register adds the validating webhooks of the three kinds, and the conversion webhook
// for every kind that has more than one served version, to the manager's webhook server.
func Register(mgr ctrl.Manager, registry *provider.Registry) error {
	for path, hook := range Validators(mgr.GetScheme(), registry) {
		mgr.GetWebhookServer().Register(path, hook)
	}
	// The builder adds the conversion webhook of each kind (it has no validator to add).
	return errors.Join(
		ctrl.NewWebhookManagedBy(mgr, &esv1.ExternalSecret{}).Complete(),
		ctrl.NewWebhookManagedBy(mgr, &esv1.SecretStore{}).Complete(),
		ctrl.NewWebhookManagedBy(mgr, &esv1.ClusterSecretStore{}).Complete(),
	)
}

// Validators returns the validating webhooks of ExternalSecrets, SecretStores and
// ClusterSecretStores by path, as Register serves them.
func Validators(scheme *runtime.Scheme, registry *provider.Registry) map[string]*admission.Webhook {
	return map[string]*admission.Webhook{
		// ExternalSecrets are decoded by hand first, so a value that does not even decode (a
		// refreshInterval of "forever") is refused with the field's name.
		ValidatePath(esv1.ExtSecretKind):          {Handler: externalSecretHandler{decoder: admission.NewDecoder(scheme)}},
		ValidatePath(esv1.SecretStoreKind):        admission.WithValidator(scheme, storeValidator[*esv1.SecretStore]{registry: registry}),
		ValidatePath(esv1.ClusterSecretStoreKind): admission.WithValidator(scheme, storeValidator[*esv1.ClusterSecretStore]{registry: registry}),
	}
}

// ValidatePath is the path of a kind's validating webhook.
func ValidatePath(kind string) string {
	return "/validate-" + strings.ReplaceAll(esv1.Group, ".", "-") + "-" + esv1.Version + "-" + strings.ToLower(kind)
}

// externalSecretHandler validates ExternalSecrets, naming the field when one does not decode.
type externalSecretHandler struct {
	decoder admission.Decoder
}

func (h externalSecretHandler) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation == admissionv1.Delete {
		return admission.Allowed("")
	}
	var raw struct {
		Spec struct {
			RefreshInterval *string `json:"refreshInterval"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(req.Object.Raw, &raw); err == nil && raw.Spec.RefreshInterval != nil {
		if _, err := time.ParseDuration(*raw.Spec.RefreshInterval); err != nil {
			return admission.Denied(fmt.Sprintf("spec.refreshInterval: %q is not a duration: use a Go duration such as 1h or 30m, or 0 to sync once",
				*raw.Spec.RefreshInterval))
		}
	}
	es := &esv1.ExternalSecret{}
	if err := h.decoder.Decode(req, es); err != nil {
		return admission.Denied(fmt.Sprintf("the ExternalSecret does not decode: %v", err))
	}
	if err := validation.ExternalSecret(es); err != nil {
		return admission.Denied(err.Error())
	}
	return admission.Allowed("").WithWarnings(warnUnsupported(es)...)
}
