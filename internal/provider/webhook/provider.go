package webhook

import (
	"context"
	"crypto/tls"
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
	"github.com/ferryhq/ferry/internal/provider/webhook/ntlm"
)

const specField = "spec.provider.webhook"

// SecretLabel and SecretLabelValue are the label a Secret listed under
// spec.provider.webhook.secrets must carry (as External Secrets Operator requires).
const (
	SecretLabel      = "external-secrets.io/type"
	SecretLabelValue = "webhook"
)

const (
	// defaultTimeout bounds a request when the store sets no timeout.
	defaultTimeout = 30 * time.Second
	// maxResponseBytes bounds what is read of one response.
	maxResponseBytes = 4 << 20
)

// Provider builds clients for spec.provider.webhook. Build it with New.
type Provider struct{}

// New returns the webhook provider.
func New() provider.Provider { return &Provider{} }

// Name returns "webhook", the provider's key in spec.provider.
func (*Provider) Name() string { return "webhook" }

// Capabilities returns ReadWrite: the same endpoint template is called to push (see push.go).
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient validates the store, parses its templates, reads the Secrets it lists, its CA
// and its NTLM credentials (through kube, for objects in namespace) and returns a client.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Webhook
	tmpl, err := parseTemplates(spec.URL, spec.Body, spec.Result.JSONPath, spec.Headers)
	if err != nil {
		return nil, err
	}
	secrets := map[string]map[string]string{}
	for i, s := range spec.Secrets {
		// As in External Secrets Operator, a Secret is sent to an endpoint only when its
		// owner labelled it for that: otherwise whoever may write a store could send any
		// Secret of the namespace to a server of their choosing.
		data, err := provider.LabelledSecretData(ctx, kube, store, namespace, s.SecretRef.Name, s.SecretRef.Namespace,
			SecretLabel, SecretLabelValue, fmt.Sprintf("%s.secrets[%d].secretRef", specField, i))
		if err != nil {
			return nil, err
		}
		keys := make(map[string]string, len(data))
		for k, v := range data {
			keys[k] = string(v)
		}
		secrets[s.Name] = keys
	}
	pool, err := provider.CertPool(ctx, kube, store, namespace, spec.CABundle, spec.CAProvider, specField)
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	var roundTripper http.RoundTripper = transport
	if spec.Auth != nil && spec.Auth.NTLM != nil {
		user, password, err := ntlmCredentials(ctx, kube, store, namespace, spec.Auth.NTLM)
		if err != nil {
			return nil, err
		}
		roundTripper = ntlm.NewTransport(transport, user, password)
	}
	timeout := defaultTimeout
	if spec.Timeout != nil && spec.Timeout.Duration > 0 {
		timeout = spec.Timeout.Duration
	}
	return &webhookClient{
		method:    strings.ToUpper(spec.Method),
		hasBody:   spec.Body != "",
		templates: tmpl,
		secrets:   secrets,
		http:      &http.Client{Transport: roundTripper, Timeout: timeout},
	}, nil
}

// ntlmCredentials reads the user name and password auth.ntlm names, under the namespace
// rules of the store's other Secrets. As in External Secrets Operator, each Secret must
// carry the webhook label: an NTLMv2 response lets its receiver guess the password
// offline, so credentials go only to endpoints their owner lent them to.
func ntlmCredentials(ctx context.Context, kube client.Client, store esv1.GenericStore, namespace string,
	auth *esv1.NTLMProtocol) (user, password string, err error) {
	var values [2]string
	for i, ref := range ntlmRefs(auth) {
		data, err := provider.LabelledSecretData(ctx, kube, store, namespace, ref.selector.Name, ref.selector.Namespace,
			SecretLabel, SecretLabelValue, ref.field)
		if err != nil {
			return "", "", err
		}
		value, ok := data[ref.selector.Key]
		if !ok {
			return "", "", fmt.Errorf("%s: Secret %s has no key %q", ref.field, ref.selector.Name, ref.selector.Key)
		}
		values[i] = string(value)
	}
	if values[0] == "" {
		return "", "", fmt.Errorf("%s: the user name in key %q of Secret %s is empty", ntlmRefs(auth)[0].field, auth.UserName.Key, auth.UserName.Name)
	}
	return values[0], values[1], nil
}

// webhookClient calls one store's endpoint.
type webhookClient struct {
	// method is spec.method as written, upper case: "" means GET to read, POST to push.
	method string
	// hasBody: spec.body is set; a push without one sends the value as the body.
	hasBody   bool
	templates *templates
	secrets   map[string]map[string]string
	http      *http.Client
}

var (
	_ provider.Client = (*webhookClient)(nil)
	_ provider.Writer = (*webhookClient)(nil)
)

// GetSecret calls the endpoint for ref and returns the body, or what result.jsonPath
// selects in it. A 404 answer is provider.ErrNotFound.
func (c *webhookClient) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	data := newTemplateData(c.secrets, ref.Key, ref.Version, ref.Property)
	body, err := c.call(ctx, ref.Key, c.readMethod(), data, data, nil)
	if err != nil {
		return nil, err
	}
	path, err := data.execute(c.templates.jsonPath)
	if err != nil {
		return nil, err
	}
	out, err := selectResult(body, path)
	if err != nil {
		return nil, fmt.Errorf("webhook for key %q: %w", ref.Key, err)
	}
	return out, nil
}

// GetSecretMap spreads the JSON object GetSecret returns into keys.
func (c *webhookClient) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	value, err := c.GetSecret(ctx, ref)
	if err != nil {
		return nil, err
	}
	out, err := property.Spread(value)
	if err != nil {
		return nil, fmt.Errorf("webhook for key %q: %w", ref.Key, err)
	}
	return out, nil
}

// GetAllSecrets is not supported: a webhook answers for one key at a time.
func (c *webhookClient) GetAllSecrets(context.Context, esv1.ExternalSecretFind) (map[string][]byte, error) {
	return nil, fmt.Errorf("%w: the webhook provider reads one key at a time; use data or dataFrom.extract", provider.ErrFindNotSupported)
}

// Validate cannot prove anything without a key to ask for: the store is Unknown until an
// ExternalSecret reads through it.
func (c *webhookClient) Validate(context.Context) (esv1.ValidationResult, error) {
	return esv1.ValidationResultUnknown, nil
}

// Close drops idle connections.
func (c *webhookClient) Close(context.Context) error {
	c.http.CloseIdleConnections()
	return nil
}

func (c *webhookClient) readMethod() string {
	if c.method == "" {
		return http.MethodGet
	}
	return c.method
}

// call renders the request for key — the url from urlData, the headers and body from
// rawData, or body as given when not nil — and returns the response body of a 2xx answer.
// A 404 answer is provider.ErrNotFound.
func (c *webhookClient) call(ctx context.Context, key, method string, urlData, rawData *templateData, body *string) ([]byte, error) {
	u, err := urlData.execute(c.templates.url)
	if err != nil {
		return nil, err
	}
	if body == nil {
		rendered, err := rawData.execute(c.templates.body)
		if err != nil {
			return nil, err
		}
		body = &rendered
	}
	var reader io.Reader
	if *body != "" {
		reader = strings.NewReader(*body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, reader)
	if err != nil {
		// The URL may hold a secret (a token in a query), so it is not quoted.
		return nil, fmt.Errorf("webhook for key %q: the rendered url is not a valid request URL", key)
	}
	for name, t := range c.templates.headers {
		v, err := rawData.execute(t)
		if err != nil {
			return nil, err
		}
		req.Header.Set(name, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// Only the scheme and host: a pushed value may be part of the path.
		return nil, fmt.Errorf("webhook for key %q: %s %s://%s: %w", key, method, req.URL.Scheme, req.URL.Host, unwrapURLError(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("webhook for key %q: reading the response: %w", key, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, provider.NotFound(key)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// The body may echo what was sent, so it is never quoted.
		return nil, fmt.Errorf("webhook for key %q: the endpoint answered %s", key, resp.Status)
	case len(raw) > maxResponseBytes:
		return nil, fmt.Errorf("webhook for key %q: the response is larger than %d bytes", key, maxResponseBytes)
	}
	return raw, nil
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the full URL (and any
// secret in its query).
func unwrapURLError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}
