package v1beta1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// The webhook provider has the same shape in v1beta1 and v1 (v1 only makes result
// optional), so nothing is ever kept; the section guards the day one version grows a field.
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
