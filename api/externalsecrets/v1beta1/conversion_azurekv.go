package v1beta1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// The azurekv provider differs between v1beta1 and v1 only by fields v1 added, so a plain
// conversion through JSON serves; the section keeps what v1beta1 drops.
var azurekvSection = lossless.Section[*esv1.AzureKVProvider, *AzureKVProvider]{
	Name: "spec.provider.azurekv",
	Down: lossless.ViaJSON[*esv1.AzureKVProvider, *AzureKVProvider],
	Up:   lossless.ViaJSON[*AzureKVProvider, *esv1.AzureKVProvider],
}

func azurekvToHub(st *lossless.Stash, in *AzureKVProvider) *esv1.AzureKVProvider {
	return azurekvSection.ToHub(st, in)
}

func azurekvFromHub(st *lossless.Stash, in *esv1.AzureKVProvider) *AzureKVProvider {
	return azurekvSection.FromHub(st, in)
}
