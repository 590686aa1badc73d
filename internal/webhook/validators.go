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
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
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

// Register adds the validating webhooks, and the conversion webhook
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

// Validators returns the validating webhooks of ExternalSecrets, SecretStores,
// ClusterSecretStores, PushSecrets and ClusterPushSecrets by path, as Register serves them.
func Validators(scheme *runtime.Scheme, registry *provider.Registry) map[string]*admission.Webhook {
	return map[string]*admission.Webhook{
		// ExternalSecrets are decoded by hand first, so a value that does not even decode (a
		// refreshInterval of "forever") is refused with the field's name.
		ValidatePath(esv1.ExtSecretKind):          {Handler: externalSecretHandler{decoder: admission.NewDecoder(scheme)}},
		ValidatePath(esv1.SecretStoreKind):        admission.WithValidator(scheme, storeValidator[*esv1.SecretStore]{registry: registry}),
		ValidatePath(esv1.ClusterSecretStoreKind): admission.WithValidator(scheme, storeValidator[*esv1.ClusterSecretStore]{registry: registry}),
		ValidatePath(esv1alpha1.PushSecretKind): admission.WithValidator(scheme, warnOnly[*esv1alpha1.PushSecret]{
			check: func(ps *esv1alpha1.PushSecret) []error {
				return []error{validation.PushSecret(&ps.Spec)}
			}}),
		ValidatePath(esv1alpha1.ClusterPushSecretKind): admission.WithValidator(scheme, warnOnly[*esv1alpha1.ClusterPushSecret]{
			field: "spec.pushSecretSpec.",
			check: func(cps *esv1alpha1.ClusterPushSecret) []error {
				return []error{validation.PushSecret(&cps.Spec.PushSecretSpec)}
			}}),
	}
}

// ValidatePath is the path of a kind's validating webhook, at the version it is served in
// (v1, or v1alpha1 for the kinds ESO serves only there).
func ValidatePath(kind string) string {
	version := esv1.Version
	if kind == esv1alpha1.PushSecretKind || kind == esv1alpha1.ClusterPushSecretKind {
		version = esv1alpha1.Version
	}
	return "/validate-" + strings.ReplaceAll(esv1.Group, ".", "-") + "-" + version + "-" + strings.ToLower(kind)
}

// warnOnly admits every object and returns what check finds wrong as warnings, one per
// problem. It is for kinds External Secrets Operator serves without a validating webhook
// (PushSecret, ClusterPushSecret): ESO admits whatever their schema admits, so Ferry does
// too, and tells the user at apply time what the object's condition will say. field, when
// set, replaces the leading "spec." of each message: the checks name a PushSecret's fields,
// which a ClusterPushSecret holds under spec.pushSecretSpec.
type warnOnly[T runtime.Object] struct {
	field string
	check func(T) []error
}

func (v warnOnly[T]) warnings(obj T) admission.Warnings {
	var out admission.Warnings
	for _, err := range v.check(obj) {
		if err == nil {
			continue
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if rest, ok := strings.CutPrefix(line, "spec."); ok && v.field != "" {
				line = v.field + rest
			}
			out = append(out, line)
		}
	}
	return out
}

func (v warnOnly[T]) ValidateCreate(_ context.Context, obj T) (admission.Warnings, error) {
	return v.warnings(obj), nil
}

func (v warnOnly[T]) ValidateUpdate(_ context.Context, _, obj T) (admission.Warnings, error) {
	return v.warnings(obj), nil
}

func (warnOnly[T]) ValidateDelete(context.Context, T) (admission.Warnings, error) {
	return nil, nil
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
	// What ESO's webhook refuses is refused; what it admits, though it cannot work, is
	// admitted with a warning, and the ExternalSecret's condition reports it.
	mistakes, refused := provider.Split(validation.ExternalSecret(es), provider.ErrAdmittedMistake)
	if len(refused) > 0 {
		return admission.Denied(errors.Join(refused...).Error())
	}
	warnings := warnUnsupported(es)
	for _, m := range mistakes {
		warnings = append(warnings, m.Error())
	}
	return admission.Allowed("").WithWarnings(warnings...)
}
