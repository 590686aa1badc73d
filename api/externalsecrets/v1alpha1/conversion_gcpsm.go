package v1alpha1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// The gcpsm provider differs between v1alpha1 and v1 only by fields v1 added, so a plain
// conversion through JSON serves; the section keeps what v1alpha1 drops. v1 defaults
// secretVersionSelectionPolicy to what v1alpha1 always did, and the way up fills it in, so a
// defaulted v1 object converts down without an annotation.
var gcpsmSection = lossless.Section[*esv1.GCPSMProvider, *GCPSMProvider]{
	Name: "spec.provider.gcpsm",
	Down: lossless.ViaJSON[*esv1.GCPSMProvider, *GCPSMProvider],
	Up:   gcpsmUp,
}

func gcpsmToHub(st *lossless.Stash, in *GCPSMProvider) *esv1.GCPSMProvider {
	return gcpsmSection.ToHub(st, in)
}

func gcpsmFromHub(st *lossless.Stash, in *esv1.GCPSMProvider) *GCPSMProvider {
	return gcpsmSection.FromHub(st, in)
}

func gcpsmUp(in *GCPSMProvider) *esv1.GCPSMProvider {
	out := lossless.ViaJSON[*GCPSMProvider, *esv1.GCPSMProvider](in)
	if out != nil && out.SecretVersionSelectionPolicy == "" {
		out.SecretVersionSelectionPolicy = esv1.SecretVersionSelectionPolicyLatestOrFail
	}
	return out
}
