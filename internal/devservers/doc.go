// Package devservers starts the in-process stand-ins of the enterprise providers that have
// no emulator (Akeyless, Conjur, IBM Cloud Secrets Manager, Delinea Secret Server, Delinea
// DevOps Secrets Vault, Previder, Oracle Cloud Infrastructure Vault), seeds each with known secrets, and renders manifests
// shaped as ESO's documentation snippets for each provider (testdata/<provider>.yaml),
// pointed at the stand-ins. `make dev` (hack/devenv) writes them for a developer to apply;
// the e2e test applies them and checks every ExternalSecret syncs the seeded bytes.
//
// OCI has no endpoint field: the operator reaches its stand-in through a loopback HTTPS
// proxy that tunnels only to OCI's hosts of one region (OperatorEnv).
//
// The developer-platform providers' stand-ins run too: GitLab, Scaleway, Pulumi ESC,
// Onboardbase, Infisical and Doppler (platforms_a.go); 1Password Connect, the Bitwarden SDK
// server, Passbolt and Yandex Cloud's Lockbox and Certificate Manager (platforms_b.go).
// Doppler's stores name no host either: the operator's DOPPLER_BASE_URL does.
// Keeper Secrets Manager cannot: its client seals every call to Keeper's published server
// keys, compiled into the operator, which no stand-in can open.
//
// The stand-ins listen on 127.0.0.1 only. Nothing here is imported by the operator binary.
package devservers
