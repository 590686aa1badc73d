package v1alpha1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// v1 adds NTLM auth to the webhook provider (and makes result optional); the rest has the
// same shape in both versions. The section keeps what v1alpha1 drops.
var webhookSection = lossless.Section[*esv1.WebhookProvider, *WebhookProvider]{
	Name: "spec.provider.webhook",
	Down: lossless.ViaJSON[*esv1.WebhookProvider, *WebhookProvider],
	Up:   lossless.ViaJSON[*WebhookProvider, *esv1.WebhookProvider],
}

func webhookToHub(st *lossless.Stash, in *WebhookProvider) *esv1.WebhookProvider {
	return webhookSection.ToHub(st, in)
}

func webhookFromHub(st *lossless.Stash, in *esv1.WebhookProvider) *WebhookProvider {
	return webhookSection.FromHub(st, in)
}
