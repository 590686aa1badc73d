package vault

import (
	"context"
	"errors"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const (
	openBaoField     = "spec.provider.openBao"
	openBaoAuthField = openBaoField + ".auth"
	// defaultOpenBaoMount is the KV mount of an OpenBao store that names none: External
	// Secrets Operator's OpenBao provider reads "kv" then, where its Vault provider takes
	// the first segment of each key.
	defaultOpenBaoMount = "kv"
)

// OpenBaoProvider builds clients for spec.provider.openBao. OpenBao is a fork of Vault
// whose KV, token, AppRole and userpass HTTP APIs are Vault's, so its clients are this
// package's KV clients; only the store's shape, its defaults and the names in messages
// differ. Build it with NewOpenBao.
type OpenBaoProvider struct{}

// NewOpenBao returns the OpenBao provider.
func NewOpenBao() provider.Provider { return &OpenBaoProvider{} }

// Name returns "openBao", the provider's key in spec.provider.
func (*OpenBaoProvider) Name() string { return "openBao" }

// Capabilities returns ReadWrite: KV secrets can be read and pushed to.
func (*OpenBaoProvider) Capabilities() esv1.SecretStoreCapabilities {
	return esv1.SecretStoreReadWrite
}

// NewClient validates the store and returns a client that logs in on its first call and
// keeps its token, as a Vault store's client does.
func (p *OpenBaoProvider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	return newKVClient(ctx, openBaoStoreConfig(store), store, kube, namespace)
}

// openBaoStoreConfig is what a validated OpenBao store's clients are built from.
func openBaoStoreConfig(store esv1.GenericStore) storeConfig {
	return storeConfig{spec: vaultShape(store.GetSpec().Provider.OpenBao), field: openBaoField, product: "openbao",
		listsKV1: true, versionField: openBaoField + ".version"}
}

// vaultShape carries an OpenBao store's settings over to the Vault provider's shape, with
// ESO's OpenBao defaults: mount "kv", KV v2, "approle" and "userpass" mount paths.
func vaultShape(o *esv1.OpenBaoProvider) *esv1.VaultProvider {
	mount := o.Path
	if mount == "" {
		mount = defaultOpenBaoMount
	}
	v := &esv1.VaultProvider{
		Server:     o.Server,
		Path:       &mount,
		Version:    esv1.VaultKVStoreVersion(o.Version),
		CABundle:   o.CABundle,
		CAProvider: o.CAProvider,
	}
	if v.Version == "" {
		v.Version = esv1.VaultKVStoreV2
	}
	if o.Namespace != "" {
		v.Namespace = &o.Namespace
	}
	a := o.Auth
	if a == nil {
		return v
	}
	v.Auth = &esv1.VaultAuth{TokenSecretRef: a.TokenSecretRef}
	if a.Namespace != "" {
		v.Auth.Namespace = &a.Namespace
	}
	if r := a.AppRole; r != nil {
		v.Auth.AppRole = &esv1.VaultAppRole{Path: orDefault(r.Path, defaultAppRolePath), RoleID: r.RoleID, RoleRef: r.RoleRef, SecretRef: r.SecretRef}
	}
	if u := a.UserPass; u != nil {
		v.Auth.UserPass = &esv1.VaultUserPassAuth{Path: orDefault(u.Path, defaultUserPassPath), Username: u.Username, SecretRef: u.SecretRef}
	}
	return v
}

// ValidateStore checks the store's OpenBao configuration as written, without any call.
// Each error names the offending field path.
func (*OpenBaoProvider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.OpenBao == nil {
		return fmt.Errorf("%s: required", openBaoField)
	}
	o := spec.Provider.OpenBao
	errs := validateServerAndVersion(o.Server, esv1.VaultKVStoreVersion(o.Version), openBaoField)
	if len(o.CABundle) > 0 && o.CAProvider != nil {
		errs = append(errs, fmt.Errorf("%s: caBundle and caProvider are mutually exclusive, set one", openBaoField))
	}
	if o.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, o.CAProvider, openBaoField+".caProvider")...)
	}
	errs = append(errs, validateOpenBaoAuth(store, o.Auth)...)
	return errors.Join(errs...)
}

func validateOpenBaoAuth(store esv1.GenericStore, auth *esv1.OpenBaoAuth) []error {
	if auth == nil {
		// ESO's schema admits an OpenBao store without auth; it then sends no token.
		return []error{provider.AdmittedMistake("%s: required: set one of tokenSecretRef, appRole or userPass", openBaoAuthField)}
	}
	var set []string
	var errs []error
	if auth.TokenSecretRef != nil {
		set = append(set, "tokenSecretRef")
		errs = append(errs, provider.ValidateSecretKeyRef(store, auth.TokenSecretRef, openBaoAuthField+".tokenSecretRef")...)
	}
	if a := auth.AppRole; a != nil {
		set = append(set, "appRole")
		errs = append(errs, validateAppRole(store, &esv1.VaultAppRole{RoleID: a.RoleID, RoleRef: a.RoleRef, SecretRef: a.SecretRef},
			openBaoAuthField+".appRole")...)
	}
	if u := auth.UserPass; u != nil {
		set = append(set, "userPass")
		errs = append(errs, validatePassword(store, u.Username, &u.SecretRef, openBaoAuthField+".userPass")...)
	}
	switch len(set) {
	case 0:
		errs = append(errs, fmt.Errorf("%s: set one of tokenSecretRef, appRole or userPass", openBaoAuthField))
	case 1:
	default:
		errs = append(errs, fmt.Errorf("%s: %v are mutually exclusive, set one", openBaoAuthField, set))
	}
	return errs
}
