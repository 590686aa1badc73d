package bitwarden

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// The headers by which the SDK server learns whom to log in as, and where.
const (
	headerAccessToken = "Warden-Access-Token"
	headerAPIURL      = "Warden-Api-Url"
	headerIdentityURL = "Warden-Identity-Url"
)

// Provider builds Bitwarden Secrets Manager clients. Build it with New.
type Provider struct{}

// New returns the Bitwarden Secrets Manager provider.
func New() *Provider { return &Provider{} }

var (
	_ provider.Provider             = (*Provider)(nil)
	_ provider.NamespaceIndependent = (*Provider)(nil)
	_ provider.Writer               = (*Client)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "bitwardensecretsmanager" }

// Capabilities says the provider reads and writes, as External Secrets Operator's does.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient validates the store, reads the access token and the CA certificates, and
// returns a client of the SDK server. Without caBundle or caProvider the system's roots
// verify the server.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.BitwardenSecretsManager
	raw, err := provider.SecretKeyValue(ctx, kube, store, namespace, spec.Auth.SecretRef.Credentials, field+".auth.secretRef.credentials")
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(string(raw))
	if token == "" {
		return nil, errors.New(field + ".auth.secretRef.credentials: the access token is empty")
	}
	var bundle []byte
	if spec.CABundle != "" {
		if bundle, err = caBundlePEM(spec.CABundle); err != nil {
			return nil, errors.New(field + ".caBundle: " + err.Error())
		}
	}
	pool, err := provider.CertPool(ctx, kube, store, namespace, bundle, spec.CAProvider, field)
	if err != nil {
		return nil, err
	}
	header := http.Header{headerAccessToken: {token}}
	if spec.APIURL != "" {
		header.Set(headerAPIURL, spec.APIURL)
	}
	if spec.IdentityURL != "" {
		header.Set(headerIdentityURL, spec.IdentityURL)
	}
	return &Client{
		api: &restclient.Client{Service: "bitwarden-sdk-server", BaseURL: strings.TrimSuffix(spec.BitwardenServerSDKURL, "/"),
			HTTP: restclient.NewHTTPClient(pool, 0), Message: errorMessage, Header: userAgent},
		header:         header,
		organizationID: spec.OrganizationID,
		projectID:      spec.ProjectID,
	}, nil
}

func userAgent(h http.Header) { h.Set("User-Agent", "ferry") }

// caBundlePEM reads a caBundle: PEM certificates, or PEM certificates encoded in base64 as
// ESO's documentation writes them.
func caBundlePEM(bundle string) ([]byte, error) {
	if strings.Contains(bundle, "-----BEGIN") {
		return []byte(bundle), nil
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(bundle), ""))
	if err != nil || !bytes.Contains(decoded, []byte("-----BEGIN")) {
		return nil, errors.New("neither PEM certificates nor base64-encoded PEM certificates")
	}
	return decoded, nil
}

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: the token's Secret and the CA's Secret or ConfigMap name their namespace.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.BitwardenSecretsManager
	if spec == nil {
		return false
	}
	fixed := func(ns *string) bool { return ns != nil && *ns != "" }
	return fixed(spec.Auth.SecretRef.Credentials.Namespace) && (spec.CAProvider == nil || fixed(spec.CAProvider.Namespace))
}
