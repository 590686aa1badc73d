package v1alpha1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// v1alpha1 nests the ServiceAccount one level deeper (auth.serviceAccount.serviceAccount)
// and has no authRef; v1 also makes auth optional. The rest has the same shape in both
// versions. The section keeps what v1alpha1 drops.
var kubernetesSection = lossless.Section[*esv1.KubernetesProvider, *KubernetesProvider]{
	Name: "spec.provider.kubernetes",
	Down: kubernetesDown,
	Up:   kubernetesUp,
}

func kubernetesDown(in *esv1.KubernetesProvider) *KubernetesProvider {
	out := lossless.ViaJSON[*esv1.KubernetesProvider, *KubernetesProvider](in)
	if out == nil {
		return nil
	}
	out.Auth.ServiceAccount = nil
	if in.Auth != nil && in.Auth.ServiceAccount != nil {
		out.Auth.ServiceAccount = &KubernetesServiceAccountAuth{
			ServiceAccountRef: lossless.ViaJSON[*esv1.ServiceAccountSelector, ServiceAccountSelector](in.Auth.ServiceAccount),
		}
	}
	return out
}

func kubernetesUp(in *KubernetesProvider) *esv1.KubernetesProvider {
	out := lossless.ViaJSON[*KubernetesProvider, *esv1.KubernetesProvider](in)
	if out == nil {
		return nil
	}
	if out.Auth == nil {
		out.Auth = &esv1.KubernetesAuth{}
	}
	out.Auth.ServiceAccount = nil
	if sa := in.Auth.ServiceAccount; sa != nil {
		out.Auth.ServiceAccount = lossless.ViaJSON[ServiceAccountSelector, *esv1.ServiceAccountSelector](sa.ServiceAccountRef)
	}
	return out
}

func kubernetesToHub(st *lossless.Stash, in *KubernetesProvider) *esv1.KubernetesProvider {
	return kubernetesSection.ToHub(st, in)
}

func kubernetesFromHub(st *lossless.Stash, in *esv1.KubernetesProvider) *KubernetesProvider {
	return kubernetesSection.FromHub(st, in)
}
