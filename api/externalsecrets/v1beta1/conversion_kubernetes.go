package v1beta1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// The Kubernetes provider has the same shape in v1beta1 and v1 (v1 only makes the
// certificate and token references required), so nothing is ever kept; the section guards
// the day one version grows a field.
var kubernetesSection = lossless.Section[*esv1.KubernetesProvider, *KubernetesProvider]{
	Name: "spec.provider.kubernetes",
	Down: lossless.ViaJSON[*esv1.KubernetesProvider, *KubernetesProvider],
	Up:   lossless.ViaJSON[*KubernetesProvider, *esv1.KubernetesProvider],
}

func kubernetesToHub(st *lossless.Stash, in *KubernetesProvider) *esv1.KubernetesProvider {
	return kubernetesSection.ToHub(st, in)
}

func kubernetesFromHub(st *lossless.Stash, in *esv1.KubernetesProvider) *KubernetesProvider {
	return kubernetesSection.FromHub(st, in)
}
