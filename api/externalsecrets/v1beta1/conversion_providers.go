package v1beta1

import (
	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// The providers below have no conversion of their own. Their v1beta1 and v1 forms name and
// shape each field alike; v1 adds fields and rules, and a few providers live in one version
// only. So each converts through JSON, and what the other version cannot hold is kept in the
// conversion annotation.

// Providers only v1 has.
var (
	barbicanField                       = lossless.HubField[*esv1.BarbicanProvider]{Name: "spec.provider.barbican"}
	beyondtrustWorkloadCredentialsField = lossless.HubField[*esv1.BeyondtrustWorkloadCredentialsProvider]{Name: "spec.provider.beyondtrustworkloadcredentials"}
	crdField                            = lossless.HubField[*esv1.CRDProvider]{Name: "spec.provider.crd"}
	dvlsField                           = lossless.HubField[*esv1.DVLSProvider]{Name: "spec.provider.dvls"}
	nebiusMysteryboxField               = lossless.HubField[*esv1.NebiusMysteryboxProvider]{Name: "spec.provider.nebiusmysterybox"}
	ngrokField                          = lossless.HubField[*esv1.NgrokProvider]{Name: "spec.provider.ngrok"}
	onePasswordSDKField                 = lossless.HubField[*esv1.OnePasswordSDKProvider]{Name: "spec.provider.onepasswordSDK"}
	openBaoField                        = lossless.HubField[*esv1.OpenBaoProvider]{Name: "spec.provider.openBao"}
	ovhField                            = lossless.HubField[*esv1.OVHProvider]{Name: "spec.provider.ovh"}
	volcengineField                     = lossless.HubField[*esv1.VolcengineProvider]{Name: "spec.provider.volcengine"}
)

// Providers only v1beta1 has: ESO dropped them from v1.
var (
	alibabaField  = lossless.SpokeField[*AlibabaProvider]{Name: "spec.provider.alibaba"}
	device42Field = lossless.SpokeField[*Device42Provider]{Name: "spec.provider.device42"}
)

// moreProvidersToHub converts the providers without a conversion of their own into out.
func moreProvidersToHub(st *lossless.Stash, in *SecretStoreProvider, out *esv1.SecretStoreProvider) {
	alibabaField.Keep(st, in.Alibaba)
	device42Field.Keep(st, in.Device42)
	up(st, "spec.provider.akeyless", in.Akeyless, &out.Akeyless)
	up(st, "spec.provider.beyondtrust", in.Beyondtrust, &out.Beyondtrust)
	up(st, "spec.provider.bitwardensecretsmanager", in.BitwardenSecretsManager, &out.BitwardenSecretsManager)
	up(st, "spec.provider.chef", in.Chef, &out.Chef)
	up(st, "spec.provider.cloudrusm", in.CloudruSM, &out.CloudruSM)
	up(st, "spec.provider.conjur", in.Conjur, &out.Conjur)
	up(st, "spec.provider.delinea", in.Delinea, &out.Delinea)
	up(st, "spec.provider.doppler", in.Doppler, &out.Doppler)
	up(st, "spec.provider.fortanix", in.Fortanix, &out.Fortanix)
	up(st, "spec.provider.github", in.Github, &out.Github)
	up(st, "spec.provider.gitlab", in.Gitlab, &out.Gitlab)
	up(st, "spec.provider.ibm", in.IBM, &out.IBM)
	up(st, "spec.provider.infisical", in.Infisical, &out.Infisical)
	up(st, "spec.provider.keepersecurity", in.KeeperSecurity, &out.KeeperSecurity)
	up(st, "spec.provider.onboardbase", in.Onboardbase, &out.Onboardbase)
	up(st, "spec.provider.onepassword", in.OnePassword, &out.OnePassword)
	up(st, "spec.provider.oracle", in.Oracle, &out.Oracle)
	up(st, "spec.provider.passbolt", in.Passbolt, &out.Passbolt)
	up(st, "spec.provider.passworddepot", in.PasswordDepot, &out.PasswordDepot)
	up(st, "spec.provider.previder", in.Previder, &out.Previder)
	up(st, "spec.provider.pulumi", in.Pulumi, &out.Pulumi)
	up(st, "spec.provider.scaleway", in.Scaleway, &out.Scaleway)
	up(st, "spec.provider.secretserver", in.SecretServer, &out.SecretServer)
	up(st, "spec.provider.senhasegura", in.Senhasegura, &out.Senhasegura)
	up(st, "spec.provider.yandexcertificatemanager", in.YandexCertificateManager, &out.YandexCertificateManager)
	up(st, "spec.provider.yandexlockbox", in.YandexLockbox, &out.YandexLockbox)
	out.Barbican = barbicanField.Restore(st)
	out.BeyondtrustWorkloadCredentials = beyondtrustWorkloadCredentialsField.Restore(st)
	out.CRD = crdField.Restore(st)
	out.DVLS = dvlsField.Restore(st)
	out.NebiusMysterybox = nebiusMysteryboxField.Restore(st)
	out.Ngrok = ngrokField.Restore(st)
	out.OnePasswordSDK = onePasswordSDKField.Restore(st)
	out.OpenBao = openBaoField.Restore(st)
	out.OVH = ovhField.Restore(st)
	out.Volcengine = volcengineField.Restore(st)
}

// moreProvidersFromHub converts the providers without a conversion of their own into out.
func moreProvidersFromHub(st *lossless.Stash, in *esv1.SecretStoreProvider, out *SecretStoreProvider) {
	barbicanField.Keep(st, in.Barbican)
	beyondtrustWorkloadCredentialsField.Keep(st, in.BeyondtrustWorkloadCredentials)
	crdField.Keep(st, in.CRD)
	dvlsField.Keep(st, in.DVLS)
	nebiusMysteryboxField.Keep(st, in.NebiusMysterybox)
	ngrokField.Keep(st, in.Ngrok)
	onePasswordSDKField.Keep(st, in.OnePasswordSDK)
	openBaoField.Keep(st, in.OpenBao)
	ovhField.Keep(st, in.OVH)
	volcengineField.Keep(st, in.Volcengine)
	down(st, "spec.provider.akeyless", in.Akeyless, &out.Akeyless)
	down(st, "spec.provider.beyondtrust", in.Beyondtrust, &out.Beyondtrust)
	down(st, "spec.provider.bitwardensecretsmanager", in.BitwardenSecretsManager, &out.BitwardenSecretsManager)
	down(st, "spec.provider.chef", in.Chef, &out.Chef)
	down(st, "spec.provider.cloudrusm", in.CloudruSM, &out.CloudruSM)
	down(st, "spec.provider.conjur", in.Conjur, &out.Conjur)
	down(st, "spec.provider.delinea", in.Delinea, &out.Delinea)
	down(st, "spec.provider.doppler", in.Doppler, &out.Doppler)
	down(st, "spec.provider.fortanix", in.Fortanix, &out.Fortanix)
	down(st, "spec.provider.github", in.Github, &out.Github)
	down(st, "spec.provider.gitlab", in.Gitlab, &out.Gitlab)
	down(st, "spec.provider.ibm", in.IBM, &out.IBM)
	down(st, "spec.provider.infisical", in.Infisical, &out.Infisical)
	down(st, "spec.provider.keepersecurity", in.KeeperSecurity, &out.KeeperSecurity)
	down(st, "spec.provider.onboardbase", in.Onboardbase, &out.Onboardbase)
	down(st, "spec.provider.onepassword", in.OnePassword, &out.OnePassword)
	down(st, "spec.provider.oracle", in.Oracle, &out.Oracle)
	down(st, "spec.provider.passbolt", in.Passbolt, &out.Passbolt)
	down(st, "spec.provider.passworddepot", in.PasswordDepot, &out.PasswordDepot)
	down(st, "spec.provider.previder", in.Previder, &out.Previder)
	down(st, "spec.provider.pulumi", in.Pulumi, &out.Pulumi)
	down(st, "spec.provider.scaleway", in.Scaleway, &out.Scaleway)
	down(st, "spec.provider.secretserver", in.SecretServer, &out.SecretServer)
	down(st, "spec.provider.senhasegura", in.Senhasegura, &out.Senhasegura)
	down(st, "spec.provider.yandexcertificatemanager", in.YandexCertificateManager, &out.YandexCertificateManager)
	down(st, "spec.provider.yandexlockbox", in.YandexLockbox, &out.YandexLockbox)
	out.Alibaba = alibabaField.Restore(st)
	out.Device42 = device42Field.Restore(st)
}

// up converts a provider that both versions shape alike through JSON, keeping what v1 drops.
func up[S, H any](st *lossless.Stash, name string, in S, out *H) {
	*out = lossless.SameShape[H, S](name).ToHub(st, in)
}

// down converts a provider that both versions shape alike through JSON, keeping what
// v1beta1 cannot hold.
func down[H, S any](st *lossless.Stash, name string, in H, out *S) {
	*out = lossless.SameShape[H, S](name).FromHub(st, in)
}
