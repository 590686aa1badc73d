package v1alpha1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// v1 adds to the Vault provider client TLS, headers, checkAndSet, an auth namespace, the
// userPass, iam and gcp methods, AppRole's roleRef and the cert method's path and role, and
// makes auth optional; the rest has the same shape in both versions. The section keeps what
// v1alpha1 drops.
var vaultSection = lossless.Section[*esv1.VaultProvider, *VaultProvider]{
	Name: "spec.provider.vault",
	Down: lossless.ViaJSON[*esv1.VaultProvider, *VaultProvider],
	Up:   vaultUp,
}

// certAuthPathDefault is what v1 defaults the cert method's path to; v1alpha1 always used it.
const certAuthPathDefault = "cert"

func vaultUp(in *VaultProvider) *esv1.VaultProvider {
	out := lossless.ViaJSON[*VaultProvider, *esv1.VaultProvider](in)
	if out != nil && out.Auth != nil && out.Auth.Cert != nil && out.Auth.Cert.Path == "" {
		out.Auth.Cert.Path = certAuthPathDefault
	}
	return out
}

func vaultToHub(st *lossless.Stash, in *VaultProvider) *esv1.VaultProvider {
	return vaultSection.ToHub(st, in)
}

func vaultFromHub(st *lossless.Stash, in *esv1.VaultProvider) *VaultProvider {
	return vaultSection.FromHub(st, in)
}
