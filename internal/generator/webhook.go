package generator

import (
	"context"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/provider"
)

// Webhook generates values by calling an HTTP endpoint: the JSON object of the answer (or
// the part result.jsonPath selects) gives one key per field. It is a webhook SecretStore
// in the ExternalSecret's namespace, run by the webhook provider's own code: same
// templates (.<secret name>.<key>; .remoteRef is empty), TLS, timeout and limits.
type Webhook struct {
	webhook provider.Provider
}

// NewWebhook returns the generator; webhook is the webhook provider (webhook.New()).
func NewWebhook(webhook provider.Provider) *Webhook { return &Webhook{webhook: webhook} }

// Kind returns "Webhook".
func (*Webhook) Kind() string { return genv1alpha1.WebhookKind }

// Generate calls the endpoint once and spreads the answer into keys.
func (g *Webhook) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	s := spec.WebhookSpec
	hook := &esv1.WebhookProvider{
		Method: s.Method, URL: s.URL, Headers: s.Headers, Auth: s.Auth, Body: s.Body, Timeout: s.Timeout,
		Result: s.Result, CABundle: s.CABundle, CAProvider: s.CAProvider,
	}
	for _, secret := range s.Secrets {
		hook.Secrets = append(hook.Secrets, esv1.WebhookSecret{Name: secret.Name,
			SecretRef: esv1.SecretKeySelector{Name: secret.SecretRef.Name, Key: secret.SecretRef.Key}})
	}
	// A SecretStore of the ExternalSecret's namespace: its references stay there.
	store := &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "webhook-generator"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Webhook: hook}},
	}
	if err := g.webhook.ValidateStore(store); err != nil {
		if errors.Is(err, provider.ErrFeatureNotImplemented) {
			return nil, notServed("%s", webhookFields(err))
		}
		return nil, invalid(errors.New(webhookFields(err)))
	}
	c, err := g.webhook.NewClient(ctx, store, kube, namespace)
	if err != nil {
		return nil, errors.New(webhookFields(err))
	}
	defer func() { _ = c.Close(ctx) }()
	values, err := c.GetSecretMap(ctx, esv1.ExternalSecretDataRemoteRef{})
	if err != nil {
		return nil, fmt.Errorf("calling the webhook: %w", err)
	}
	return values, nil
}

// webhookFields names the generator's fields in a message of the webhook provider, whose
// paths start at a store's spec.provider.webhook.
func webhookFields(err error) string {
	return strings.ReplaceAll(err.Error(), "spec.provider.webhook.", "spec.")
}
