package webhook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// Endpoint says how the API server reaches the webhook: a Service in the cluster, or a
// URL (local development and tests, where the API server runs outside the cluster).
type Endpoint struct {
	ServiceName, ServiceNamespace string
	ServicePort                   int32
	// URL is the base URL (https://host:port); when set, it is used instead of the Service.
	URL string
}

func (e Endpoint) clientConfig(path string, caBundle []byte) (admissionregistrationv1.WebhookClientConfig, apiextensionsv1.WebhookClientConfig) {
	if e.URL != "" {
		u := strings.TrimSuffix(e.URL, "/") + path
		return admissionregistrationv1.WebhookClientConfig{URL: &u, CABundle: caBundle},
			apiextensionsv1.WebhookClientConfig{URL: &u, CABundle: caBundle}
	}
	p, port := path, e.ServicePort
	return admissionregistrationv1.WebhookClientConfig{CABundle: caBundle, Service: &admissionregistrationv1.ServiceReference{
			Name: e.ServiceName, Namespace: e.ServiceNamespace, Path: &p, Port: &port}},
		apiextensionsv1.WebhookClientConfig{CABundle: caBundle, Service: &apiextensionsv1.ServiceReference{
			Name: e.ServiceName, Namespace: e.ServiceNamespace, Path: &p, Port: &port}}
}

// ConvertedCRDs are the CRDs whose versions the conversion webhook converts.
var ConvertedCRDs = []string{
	"externalsecrets." + esv1.Group, "secretstores." + esv1.Group, "clustersecretstores." + esv1.Group,
}

// validatedKind is a kind with a validating webhook.
type validatedKind struct {
	resource, kind, version string
	// warnOnly: the webhook never refuses (see warnOnly), so an unreachable webhook must
	// not refuse either.
	warnOnly bool
}

// validated lists the kinds with a validating webhook.
var validated = []validatedKind{
	{resource: "externalsecrets", kind: esv1.ExtSecretKind, version: esv1.Version},
	{resource: "secretstores", kind: esv1.SecretStoreKind, version: esv1.Version},
	{resource: "clustersecretstores", kind: esv1.ClusterSecretStoreKind, version: esv1.Version},
	{resource: "pushsecrets", kind: esv1alpha1.PushSecretKind, version: esv1alpha1.Version, warnOnly: true},
	{resource: "clusterpushsecrets", kind: esv1alpha1.ClusterPushSecretKind, version: esv1alpha1.Version, warnOnly: true},
}

// Injector points the CRDs' conversion and the ValidatingWebhookConfiguration at the
// webhook, with the current CA bundle.
type Injector struct {
	Client   client.Client
	Endpoint Endpoint
	// ConfigName is the name of the ValidatingWebhookConfiguration Ferry keeps.
	ConfigName string
	// Bundle returns the CA bundle to inject.
	Bundle func() []byte
}

// Inject writes the webhook configuration wherever it differs from what it should be.
func (i *Injector) Inject(ctx context.Context) error {
	bundle := i.Bundle()
	var errs []error
	for _, name := range ConvertedCRDs {
		errs = append(errs, i.injectCRD(ctx, name, bundle))
	}
	errs = append(errs, i.injectValidating(ctx, bundle))
	return errors.Join(errs...)
}

func (i *Injector) injectCRD(ctx context.Context, name string, bundle []byte) error {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := i.Client.Get(ctx, client.ObjectKey{Name: name}, &crd); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // not installed (yet); the next round injects it
		}
		return fmt.Errorf("reading CRD %s: %w", name, err)
	}
	_, cc := i.Endpoint.clientConfig("/convert", bundle)
	want := &apiextensionsv1.CustomResourceConversion{
		Strategy: apiextensionsv1.WebhookConverter,
		Webhook:  &apiextensionsv1.WebhookConversion{ClientConfig: &cc, ConversionReviewVersions: []string{"v1"}},
	}
	if equality.Semantic.DeepEqual(crd.Spec.Conversion, want) {
		return nil
	}
	crd.Spec.Conversion = want
	if err := i.Client.Update(ctx, &crd); err != nil {
		return fmt.Errorf("setting the conversion webhook of CRD %s: %w", name, err)
	}
	return nil
}

func (i *Injector) injectValidating(ctx context.Context, bundle []byte) error {
	fail, ignore := admissionregistrationv1.Fail, admissionregistrationv1.Ignore
	none := admissionregistrationv1.SideEffectClassNone
	equivalent := admissionregistrationv1.Equivalent
	timeout := int32(10)
	want := admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: i.ConfigName,
		Labels: map[string]string{"app.kubernetes.io/managed-by": "ferry"}}}
	for _, v := range validated {
		cc, _ := i.Endpoint.clientConfig(ValidatePath(v.kind), bundle)
		policy := &fail
		if v.warnOnly {
			policy = &ignore
		}
		want.Webhooks = append(want.Webhooks, admissionregistrationv1.ValidatingWebhook{
			Name:         v.resource + ".validate.ferry.dev",
			ClientConfig: cc,
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{esv1.Group}, APIVersions: []string{v.version}, Resources: []string{v.resource}},
			}},
			// Requests in v1alpha1 and v1beta1 are converted to v1 before they reach us.
			MatchPolicy:             &equivalent,
			FailurePolicy:           policy,
			SideEffects:             &none,
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          &timeout,
		})
	}
	var current admissionregistrationv1.ValidatingWebhookConfiguration
	err := i.Client.Get(ctx, client.ObjectKey{Name: i.ConfigName}, &current)
	if apierrors.IsNotFound(err) {
		// Installed by the chart, the configuration exists and Ferry may not create one;
		// elsewhere (make dev, a plain binary) Ferry creates it.
		err := i.Client.Create(ctx, &want)
		switch {
		case err == nil, apierrors.IsAlreadyExists(err):
			return nil
		case apierrors.IsForbidden(err):
			return fmt.Errorf("ValidatingWebhookConfiguration %s does not exist and Ferry may not create it: "+
				"install it with the chart (webhook.enabled) or grant create on validatingwebhookconfigurations: %w", i.ConfigName, err)
		default:
			return fmt.Errorf("creating ValidatingWebhookConfiguration %s: %w", i.ConfigName, err)
		}
	}
	if err != nil {
		return fmt.Errorf("reading ValidatingWebhookConfiguration %s: %w", i.ConfigName, err)
	}
	// Compare what we set; the API server defaults other fields (namespaceSelector, ...).
	current.Webhooks = mergeDefaults(current.Webhooks, want.Webhooks)
	if equality.Semantic.DeepEqual(current.Webhooks, want.Webhooks) {
		return nil
	}
	current.Webhooks = want.Webhooks
	if err := i.Client.Update(ctx, &current); err != nil {
		return fmt.Errorf("updating ValidatingWebhookConfiguration %s: %w", i.ConfigName, err)
	}
	return nil
}

// mergeDefaults copies the fields the API server defaults into want, so comparing with
// the current object only sees the fields Ferry sets.
func mergeDefaults(current, want []admissionregistrationv1.ValidatingWebhook) []admissionregistrationv1.ValidatingWebhook {
	if len(current) != len(want) {
		return current
	}
	for n := range want {
		if want[n].NamespaceSelector == nil {
			want[n].NamespaceSelector = current[n].NamespaceSelector
		}
		if want[n].ObjectSelector == nil {
			want[n].ObjectSelector = current[n].ObjectSelector
		}
		for r := range want[n].Rules {
			if r < len(current[n].Rules) && want[n].Rules[r].Scope == nil {
				want[n].Rules[r].Scope = current[n].Rules[r].Scope
			}
		}
	}
	return current
}

// Maintainer keeps certificates fresh and the configuration injected: at start, then every
// interval. It runs on every replica (the webhook is served by all).
type Maintainer struct {
	Certs    *Certs // nil with external certificates: only the endpoint is injected
	Injector *Injector
	Interval time.Duration
}

// Start runs until ctx ends.
func (m *Maintainer) Start(ctx context.Context) error {
	log := ctrl.LoggerFrom(ctx).WithName("webhook-certs")
	t := time.NewTicker(m.Interval)
	defer t.Stop()
	for {
		if m.Certs != nil {
			if _, err := m.Certs.Ensure(ctx); err != nil {
				log.Error(err, "Keeping the webhook certificate failed")
			}
		}
		if err := m.Injector.Inject(ctx); err != nil {
			log.Error(err, "Injecting the webhook configuration failed")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// NeedLeaderElection is false: every replica serves the webhook.
func (m *Maintainer) NeedLeaderElection() bool { return false }
