package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// DefaultURL is GitLab.com.
const DefaultURL = "https://gitlab.com"

const field = "spec.provider.gitlab"

// Provider builds GitLab clients. Build it with New.
type Provider struct {
	transport restclient.Transport
}

// New returns the GitLab provider. Tests pass restclient.WithHTTPClient.
func New(opts ...restclient.Option) *Provider {
	return &Provider{transport: restclient.NewTransport(opts...)}
}

var (
	_ provider.Provider    = (*Provider)(nil)
	_ provider.Writer      = (*Client)(nil)
	_ provider.BatchReader = (*Client)(nil)
)

// Name is the provider's key in spec.provider.
func (*Provider) Name() string { return "gitlab" }

// Capabilities says the provider reads and writes.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// ValidateStore checks the store as written, without any call; errors name the field.
func (*Provider) ValidateStore(store esv1.GenericStore) error {
	spec := store.GetSpec()
	if spec.Provider == nil || spec.Provider.Gitlab == nil {
		return errors.New(field + ": required")
	}
	g := spec.Provider.Gitlab
	var errs []error
	if g.ProjectID == "" && len(g.GroupIDs) == 0 {
		errs = append(errs, errors.New(field+": set projectID, groupIDs or both"))
	}
	if g.InheritFromGroups && g.ProjectID == "" {
		errs = append(errs, errors.New(field+".inheritFromGroups: needs projectID"))
	}
	if g.Auth.SecretRef.AccessToken == nil {
		errs = append(errs, errors.New(field+".auth.SecretRef.accessToken: required"))
	} else {
		errs = append(errs, provider.ValidateSecretKeyRef(store, g.Auth.SecretRef.AccessToken, field+".auth.SecretRef.accessToken")...)
	}
	if g.CAProvider != nil {
		errs = append(errs, provider.ValidateCAProvider(store, g.CAProvider, field+".caProvider")...)
	}
	return errors.Join(errs...)
}

// NewClient reads the store's access token and CA and builds a client.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Gitlab
	token, err := provider.SecretKeyValue(ctx, kube, store, namespace, *spec.Auth.SecretRef.AccessToken, field+".auth.SecretRef.accessToken")
	if err != nil {
		return nil, err
	}
	hc, err := p.transport.Client(ctx, kube, store, namespace, spec.CABundle, spec.CAProvider, field)
	if err != nil {
		return nil, err
	}
	base := spec.URL
	if base == "" {
		base = DefaultURL
	}
	secret := strings.TrimSpace(string(token))
	api := &restclient.Client{Service: "gitlab", BaseURL: strings.TrimSuffix(base, "/") + "/api/v4", HTTP: hc, Message: errorMessage,
		Header: func(h http.Header) { h.Set("PRIVATE-TOKEN", secret) }}
	c := &Client{api: api, projectID: spec.ProjectID, groupIDs: spec.GroupIDs, inherit: spec.InheritFromGroups, environment: spec.Environment}
	c.Batch = flatscope.Batch{ReadAll: c.readAll}
	return c, nil
}

// errorMessage reads GitLab's error body: {"message": ...} or {"error": ...}.
func errorMessage(body []byte) string {
	var e struct {
		Message any    `json:"message"`
		Error   string `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	if e.Message != nil {
		return fmt.Sprint(e.Message)
	}
	return e.Error
}
