// Package azurekv is the Azure Key Vault provider: it reads secrets, certificates and keys
// (chosen by the remote key's prefix secret/, cert/, key/), their tags, finds secrets by
// name and tags, and pushes secrets for PushSecret, through the official Azure SDK.
//
// It authenticates as a service principal (client secret or certificate), a managed
// identity, or with workload identity (a ServiceAccount token exchanged with Entra ID). It
// must not put a secret value or a credential in an error or a log line.
package azurekv
