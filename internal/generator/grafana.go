package generator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// Grafana generates tokens of a Grafana service account through Grafana's HTTP API: the
// account named in the spec is looked up (created with its role when missing) and given a
// new token. The keys are login (the account's) and token. It is a StatefulGenerator: the
// state names the token, which Cleanup deletes once a newer one replaced it.
type Grafana struct {
	api *apiClient
}

// NewGrafana returns the generator.
func NewGrafana() *Grafana { return &Grafana{api: newAPIClient()} }

// Kind returns "Grafana".
func (*Grafana) Kind() string { return genv1alpha1.GrafanaKind }

// grafanaState is the state of one token, in External Secrets Operator's field names so
// that GeneratorStates it wrote are cleaned up too.
type grafanaState struct {
	ServiceAccount struct {
		ID      *int64  `json:"id"`
		Login   *string `json:"login"`
		TokenID *int64  `json:"tokenID"`
	} `json:"serviceAccount"`
}

// Generate is GenerateWithState without the state: the token it creates stays in Grafana
// until it expires. The Registry never calls it.
func (g *Grafana) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	values, _, err := g.GenerateWithState(ctx, spec, kube, namespace)
	return values, err
}

// GenerateWithState finds or creates the service account and creates a token for it.
func (g *Grafana) GenerateWithState(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, json.RawMessage, error) {
	s := spec.GrafanaSpec
	if s.ServiceAccount.Name == "" {
		return nil, nil, invalid(errors.New("spec.serviceAccount.name: required"))
	}
	base, header, err := g.connection(ctx, s, kube, namespace)
	if err != nil {
		return nil, nil, err
	}
	id, login, err := g.serviceAccount(ctx, base, header, s.ServiceAccount)
	if err != nil {
		return nil, nil, err
	}
	body := map[string]any{"name": "ferry-" + randomID()}
	if s.ServiceAccount.SecondsToLive != nil {
		body["secondsToLive"] = *s.ServiceAccount.SecondsToLive
	}
	var token struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}
	if err := g.api.do(ctx, apiRequest{method: http.MethodPost, url: base + "/api/serviceaccounts/" + strconv.FormatInt(id, 10) + "/tokens",
		header: header, body: body, out: &token}); err != nil {
		return nil, nil, fmt.Errorf("Grafana service account token: %w", err)
	}
	if token.Key == "" {
		return nil, nil, errors.New("Grafana service account token: the answer holds no key")
	}
	var state grafanaState
	state.ServiceAccount.ID, state.ServiceAccount.Login, state.ServiceAccount.TokenID = &id, &login, &token.ID
	raw, err := json.Marshal(state)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the state: %w", err)
	}
	return map[string][]byte{"login": []byte(login), "token": []byte(token.Key)}, raw, nil
}

// Cleanup deletes the token the state names; a token already gone is no error.
func (g *Grafana) Cleanup(ctx context.Context, spec *genv1alpha1.GeneratorSpec, state json.RawMessage, kube client.Client, namespace string) error {
	var st grafanaState
	if err := json.Unmarshal(state, &st); err != nil || st.ServiceAccount.ID == nil || st.ServiceAccount.TokenID == nil {
		return invalid(errors.New("spec.state: not the state of a Grafana token"))
	}
	base, header, err := g.connection(ctx, spec.GrafanaSpec, kube, namespace)
	if err != nil {
		return err
	}
	err = g.api.do(ctx, apiRequest{method: http.MethodDelete, header: header,
		url: fmt.Sprintf("%s/api/serviceaccounts/%d/tokens/%d", base, *st.ServiceAccount.ID, *st.ServiceAccount.TokenID)})
	var refused *apiError
	if errors.As(err, &refused) && refused.status == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting Grafana service account token %d: %w", *st.ServiceAccount.TokenID, err)
	}
	return nil
}

// connection returns Grafana's base URL and the header that authenticates to it.
func (g *Grafana) connection(ctx context.Context, s *genv1alpha1.GrafanaSpec, kube client.Client, namespace string) (string, http.Header, error) {
	if s.URL == "" {
		return "", nil, invalid(errors.New("spec.url: required"))
	}
	base, err := serviceURL(s.URL, "", "spec.url")
	if err != nil {
		return "", nil, err
	}
	switch {
	case s.Auth.Token != nil:
		token, err := secretKey(ctx, kube, namespace, esv1.SecretKeySelector{Name: s.Auth.Token.Name, Key: s.Auth.Token.Key}, "spec.auth.token")
		if err != nil {
			return "", nil, err
		}
		return base, http.Header{"Authorization": {"Bearer " + string(token)}}, nil
	case s.Auth.Basic != nil:
		password, err := secretKey(ctx, kube, namespace,
			esv1.SecretKeySelector{Name: s.Auth.Basic.Password.Name, Key: s.Auth.Basic.Password.Key}, "spec.auth.basic.password")
		if err != nil {
			return "", nil, err
		}
		return base, http.Header{"Authorization": {basicAuth(s.Auth.Basic.Username, string(password))}}, nil
	}
	return "", nil, invalid(errors.New("spec.auth: set token or basic"))
}

// serviceAccount returns the ID and login of the account named sa.Name, creating it with
// sa.Role when no account has exactly that name.
func (g *Grafana) serviceAccount(ctx context.Context, base string, header http.Header, sa genv1alpha1.GrafanaServiceAccount) (int64, string, error) {
	type account struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Login string `json:"login"`
	}
	var found struct {
		ServiceAccounts []account `json:"serviceAccounts"`
	}
	query := url.Values{"query": {sa.Name}, "perpage": {"1000"}, "page": {"1"}}
	if err := g.api.do(ctx, apiRequest{method: http.MethodGet, url: base + "/api/serviceaccounts/search?" + query.Encode(),
		header: header, out: &found}); err != nil {
		return 0, "", fmt.Errorf("searching Grafana service accounts: %w", err)
	}
	for _, a := range found.ServiceAccounts {
		if a.Name == sa.Name {
			return a.ID, a.Login, nil
		}
	}
	var created account
	if err := g.api.do(ctx, apiRequest{method: http.MethodPost, url: base + "/api/serviceaccounts", header: header,
		body: map[string]string{"name": sa.Name, "role": sa.Role}, out: &created}); err != nil {
		return 0, "", fmt.Errorf("creating Grafana service account %q: %w", sa.Name, err)
	}
	return created.ID, created.Login, nil
}
