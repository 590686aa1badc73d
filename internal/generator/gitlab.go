package generator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// gitlabURL is GitLab.com; a self-managed instance is its own URL.
const gitlabURL = "https://gitlab.com"

// GitlabDeployToken creates GitLab deploy tokens of a project or a group through GitLab's
// REST API (POST /api/v4/{projects|groups}/{id}/deploy_tokens, authenticated with the
// PRIVATE-TOKEN header): keys username and token. It is a StatefulGenerator: deploy
// tokens do not expire unless expiresAt says so, so Cleanup revokes each one once a newer
// one replaced it.
type GitlabDeployToken struct {
	api *apiClient
}

// NewGitlabDeployToken returns the generator.
func NewGitlabDeployToken() *GitlabDeployToken { return &GitlabDeployToken{api: newAPIClient()} }

// Kind returns "GitlabDeployToken".
func (*GitlabDeployToken) Kind() string { return genv1alpha1.GitlabDeployTokenKind }

// gitlabState names one deploy token, in External Secrets Operator's field names.
type gitlabState struct {
	URL       string `json:"url"`
	ProjectID string `json:"projectID,omitempty"`
	GroupID   string `json:"groupID,omitempty"`
	TokenID   int    `json:"tokenID"`
}

// Generate is GenerateWithState without the state: the token it creates is never revoked.
// The Registry never calls it.
func (g *GitlabDeployToken) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	values, _, err := g.GenerateWithState(ctx, spec, kube, namespace)
	return values, err
}

// GenerateWithState creates a deploy token.
func (g *GitlabDeployToken) GenerateWithState(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, json.RawMessage, error) {
	s := spec.GitlabDeployTokenSpec
	if s.Name == "" || len(s.Scopes) == 0 {
		return nil, nil, invalid(errors.New("spec.name and spec.scopes: required"))
	}
	state := gitlabState{URL: s.URL, ProjectID: s.ProjectID, GroupID: s.GroupID}
	endpoint, err := state.endpoint()
	if err != nil {
		return nil, nil, err
	}
	header, err := g.auth(ctx, s, kube, namespace)
	if err != nil {
		return nil, nil, err
	}
	body := map[string]any{"name": s.Name, "scopes": s.Scopes}
	if s.Username != "" {
		body["username"] = s.Username
	}
	if s.ExpiresAt != nil {
		body["expires_at"] = s.ExpiresAt.UTC().Format(time.RFC3339)
	}
	var created struct {
		ID       int    `json:"id"`
		Username string `json:"username"`
		Token    string `json:"token"`
	}
	if err := g.api.do(ctx, apiRequest{method: http.MethodPost, url: endpoint, header: header, body: body, out: &created}); err != nil {
		return nil, nil, fmt.Errorf("GitLab deploy token: %w", err)
	}
	if created.Token == "" {
		return nil, nil, errors.New("GitLab deploy token: the answer holds no token")
	}
	state.TokenID = created.ID
	raw, err := json.Marshal(state)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the state: %w", err)
	}
	return map[string][]byte{"username": []byte(created.Username), "token": []byte(created.Token)}, raw, nil
}

// Cleanup revokes the deploy token the state names, where it was created (the state's
// URL and project or group, not the spec's current ones); a token already gone is no
// error.
func (g *GitlabDeployToken) Cleanup(ctx context.Context, spec *genv1alpha1.GeneratorSpec, state json.RawMessage, kube client.Client, namespace string) error {
	var st gitlabState
	if err := json.Unmarshal(state, &st); err != nil {
		return invalid(errors.New("spec.state: not the state of a GitLab deploy token"))
	}
	if st.TokenID == 0 {
		return nil
	}
	endpoint, err := st.endpoint()
	if err != nil {
		return err
	}
	header, err := g.auth(ctx, spec.GitlabDeployTokenSpec, kube, namespace)
	if err != nil {
		return err
	}
	err = g.api.do(ctx, apiRequest{method: http.MethodDelete, url: endpoint + "/" + strconv.Itoa(st.TokenID), header: header})
	var refused *apiError
	if errors.As(err, &refused) && refused.status == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("revoking GitLab deploy token %d: %w", st.TokenID, err)
	}
	return nil
}

func (g *GitlabDeployToken) auth(ctx context.Context, s *genv1alpha1.GitlabDeployTokenSpec, kube client.Client, namespace string) (http.Header, error) {
	token, err := secretKey(ctx, kube, namespace, s.Auth.Token.SecretRef, "spec.auth.token.secretRef")
	if err != nil {
		return nil, err
	}
	return http.Header{"Private-Token": {string(token)}}, nil
}

// endpoint is the deploy-token collection of the project or group.
func (s gitlabState) endpoint() (string, error) {
	base, err := serviceURL(s.URL, gitlabURL, "spec.url")
	if err != nil {
		return "", err
	}
	switch {
	case s.ProjectID != "" && s.GroupID == "":
		return base + "/api/v4/projects/" + url.PathEscape(s.ProjectID) + "/deploy_tokens", nil
	case s.GroupID != "" && s.ProjectID == "":
		return base + "/api/v4/groups/" + url.PathEscape(s.GroupID) + "/deploy_tokens", nil
	}
	return "", invalid(errors.New("spec: set exactly one of projectID or groupID"))
}
