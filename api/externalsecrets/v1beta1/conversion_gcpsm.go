package v1beta1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// The gcpsm provider differs between v1beta1 and v1 only by fields v1 added, so a plain
// conversion through JSON serves; the section keeps what v1beta1 drops.
var gcpsmSection = lossless.Section[*esv1.GCPSMProvider, *GCPSMProvider]{
	Name: "spec.provider.gcpsm",
	Down: lossless.ViaJSON[*esv1.GCPSMProvider, *GCPSMProvider],
	Up:   lossless.ViaJSON[*GCPSMProvider, *esv1.GCPSMProvider],
}

func gcpsmToHub(st *lossless.Stash, in *GCPSMProvider) *esv1.GCPSMProvider {
	return gcpsmSection.ToHub(st, in)
}

func gcpsmFromHub(st *lossless.Stash, in *esv1.GCPSMProvider) *GCPSMProvider {
	return gcpsmSection.FromHub(st, in)
}
