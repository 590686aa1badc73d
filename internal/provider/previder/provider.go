package previder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
)

const (
	specField      = "spec.provider.previder"
	defaultBaseURI = "https://vault.previder.io"
	// requestTimeout bounds one call, so a server that hangs fails the sync.
	requestTimeout   = 30 * time.Second
	maxResponseBytes = 16 << 20
)

// Provider builds clients for spec.provider.previder. Build it with New.
type Provider struct{}

// New returns the Previder provider.
func New() provider.Provider { return &Provider{} }

// Name returns "previder", the provider's key in spec.provider.
func (*Provider) Name() string { return "previder" }

// Capabilities returns ReadOnly, as External Secrets Operator serves Previder.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadOnly }

// ValidateStore checks the store as written, without any call, naming the field at fault.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Previder == nil {
		return fmt.Errorf("%s: required", specField)
	}
	p := spec.Provider.Previder
	var errs []error
	if p.BaseURI != "" && !provider.HTTPURL(p.BaseURI) {
		errs = append(errs, fmt.Errorf("%s.baseUri: %q is not an http(s) URL", specField, p.BaseURI))
	}
	if p.Auth.SecretRef == nil {
		errs = append(errs, fmt.Errorf("%s.auth.secretRef: required", specField))
	} else {
		errs = append(errs, provider.ValidateSecretKeyRef(store, &p.Auth.SecretRef.AccessToken, specField+".auth.secretRef.accessToken")...)
	}
	return errors.Join(errs...)
}

// NewClient validates the store, reads its access token and returns a client.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Previder
	token, err := provider.SecretKeyValue(ctx, kube, store, namespace, spec.Auth.SecretRef.AccessToken, specField+".auth.secretRef.accessToken")
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(spec.BaseURI, "/")
	if base == "" {
		base = defaultBaseURI
	}
	return &Client{base: base, token: strings.TrimSpace(string(token)), http: &http.Client{Timeout: requestTimeout}}, nil
}

// Client reads one Previder environment with its access token.
type Client struct {
	base, token string
	http        *http.Client
}

func hint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "Previder did not accept the access token: check the Secret that auth.secretRef.accessToken names"
	case http.StatusForbidden:
		return "the token's type does not allow this: reading needs a ReadOnly or ReadWrite token of the secret's environment"
	case http.StatusTooManyRequests:
		return provider.RateLimitHint
	}
	return ""
}

// get sends an authenticated GET and decodes the JSON answer into out.
func (c *Client) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("previder GET %s: %w", path, err)
	}
	req.Header.Set("X-API-Key", c.token)
	req.Header.Set("Accept", "application/json; charset=utf-8")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("previder GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("previder GET %s: reading the answer: %w", path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		// The body is not quoted: it is free text that could echo anything.
		return &provider.StatusError{Service: "previder", Method: http.MethodGet, Path: path, Status: resp.StatusCode, Hint: hint(resp.StatusCode)}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("previder GET %s: the answer is not JSON", path)
	}
	return nil
}

// value decrypts the secret whose id or name is key.
func (c *Client) value(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if ref.Version != "" {
		return nil, fmt.Errorf("remoteRef.version %q: Previder keeps no versions", ref.Version)
	}
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return nil, errors.New("remoteRef.metadataPolicy Fetch: Previder secrets carry no metadata to fetch")
	}
	var out struct {
		Secret *string `json:"secret"`
	}
	path := "/secret/" + url.PathEscape(ref.Key) + "/decrypt"
	if err := c.get(ctx, path, &out); err != nil {
		if provider.HTTPStatus(err) == http.StatusNotFound {
			return nil, provider.NotFound(ref.Key)
		}
		return nil, fmt.Errorf("reading previder secret %q: %w", ref.Key, err)
	}
	if out.Secret == nil {
		return nil, fmt.Errorf("reading previder secret %q: the answer holds no secret", ref.Key)
	}
	return []byte(*out.Secret), nil
}

// GetSecret returns the secret's value, or the value at ref.Property of a JSON value.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	return property.SelectFrom(ctx, c.value, ref, "previder secret")
}

// GetSecretMap spreads a JSON object value (or the object at ref.Property) into keys. A
// value that is not a JSON object comes as one key named after the remote key, as
// External Secrets Operator gives every Previder value.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	v, err := c.GetSecret(ctx, ref)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(v, &obj) != nil || obj == nil {
		return map[string][]byte{ref.Key: v}, nil
	}
	out, err := property.Spread(v)
	if err != nil {
		return nil, fmt.Errorf("previder secret %q: %w", ref.Key, err)
	}
	return out, nil
}

// GetAllSecrets is not supported, as in External Secrets Operator: Previder's listing
// shows ids and descriptions only to ReadWrite tokens.
func (c *Client) GetAllSecrets(context.Context, esv1.ExternalSecretFind) (map[string][]byte, error) {
	return nil, provider.ErrFindNotSupported
}

// Validate proves the access token is accepted: it lists the environment's secrets. A
// ReadOnly token may not list (403) but was accepted, so that is Ready too.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	var list []json.RawMessage
	err := c.get(ctx, "/secret", &list)
	if err == nil || provider.HTTPStatus(err) == http.StatusForbidden {
		return esv1.ValidationResultReady, nil
	}
	return esv1.ValidationResultError, fmt.Errorf("checking the previder access token: %w", err)
}

// Close drops idle connections.
func (c *Client) Close(context.Context) error {
	c.http.CloseIdleConnections()
	return nil
}

var _ provider.NamespaceIndependent = (*Provider)(nil)

// SameForEveryNamespace reports whether a store's clients are the same whatever namespace
// they act for: the access token's Secret ref names its namespace.
func (*Provider) SameForEveryNamespace(store esv1.GenericStore) bool {
	spec := store.GetSpec().Provider.Previder
	if spec == nil || spec.Auth.SecretRef == nil {
		return false
	}
	ns := spec.Auth.SecretRef.AccessToken.Namespace
	return ns != nil && *ns != ""
}
