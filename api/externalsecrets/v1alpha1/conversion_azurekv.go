package v1alpha1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// The azurekv provider differs between v1alpha1 and v1 only by fields v1 added, so a plain
// conversion through JSON serves; the section keeps what v1alpha1 drops. The way up fills in
// v1's defaults of the fields v1alpha1 lacks (what it always meant), so a defaulted v1 object
// converts down without an annotation.
var azurekvSection = lossless.Section[*esv1.AzureKVProvider, *AzureKVProvider]{
	Name: "spec.provider.azurekv",
	Down: lossless.ViaJSON[*esv1.AzureKVProvider, *AzureKVProvider],
	Up:   azurekvUp,
}

func azurekvToHub(st *lossless.Stash, in *AzureKVProvider) *esv1.AzureKVProvider {
	return azurekvSection.ToHub(st, in)
}

func azurekvFromHub(st *lossless.Stash, in *esv1.AzureKVProvider) *AzureKVProvider {
	return azurekvSection.FromHub(st, in)
}

func azurekvUp(in *AzureKVProvider) *esv1.AzureKVProvider {
	out := lossless.ViaJSON[*AzureKVProvider, *esv1.AzureKVProvider](in)
	if out == nil {
		return nil
	}
	if out.EnvironmentType == "" {
		out.EnvironmentType = esv1.AzureEnvironmentPublicCloud
	}
	if out.UseAzureSDK == nil {
		useAzureSDK := false
		out.UseAzureSDK = &useAzureSDK
	}
	return out
}
