package gitlab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// perPage is GitLab's largest page.
const perPage = 100

// maxPages bounds one listing (10,000 variables), so a server that always says "next
// page" cannot hold a read forever.
const maxPages = 100

// Client reads and writes the variables of one project and its groups.
type Client struct {
	flatscope.Batch
	api         *restclient.Client
	projectID   string
	groupIDs    []string
	inherit     bool
	environment string

	groupsMu sync.Mutex
	groups   []string // resolved once: the store's groupIDs, or the project's ancestors
}

// variable is one CI/CD variable as GitLab returns it.
type variable struct {
	Key              string `json:"key"`
	Value            string `json:"value"`
	EnvironmentScope string `json:"environment_scope"`
	Description      string `json:"description"`
}

func wildcard(scope string) bool { return scope == "" || scope == "*" }

// variableKey is the name GitLab knows a remote key by: dashes are not allowed in
// variable names, so ESO turns them into underscores, and so does Ferry.
func variableKey(key string) string { return strings.ReplaceAll(key, "-", "_") }

// lookup returns ref with the key values hold it under: as written when present, else
// with dashes as underscores.
func lookup(values map[string]string, ref esv1.ExternalSecretDataRemoteRef) esv1.ExternalSecretDataRemoteRef {
	if _, ok := values[ref.Key]; !ok {
		ref.Key = variableKey(ref.Key)
	}
	return ref
}

func projectPath(id string) string { return "/projects/" + url.PathEscape(id) }
func groupPath(id string) string   { return "/groups/" + url.PathEscape(id) }

// list reads every variable below owner (a project or group path), page by page.
func (c *Client) list(ctx context.Context, owner string) ([]variable, error) {
	var all []variable
	for page := 1; page <= maxPages; page++ {
		var vars []variable
		resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: owner + "/variables",
			Query: url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(perPage)}}}, &vars)
		if err != nil {
			return nil, fmt.Errorf("listing the variables of %s: %w", owner, err)
		}
		all = append(all, vars...)
		next := resp.Header.Get("X-Next-Page")
		if next == "" || len(vars) == 0 {
			return all, nil
		}
	}
	return nil, fmt.Errorf("listing the variables of %s: more than %d pages", owner, maxPages)
}

// resolveGroups returns the groups the store reads: with inheritFromGroups, the project's
// ancestors from the top down (GET /projects/:id/groups, sorted by path length, as ESO);
// otherwise groupIDs as written.
func (c *Client) resolveGroups(ctx context.Context) ([]string, error) {
	if !c.inherit {
		return c.groupIDs, nil
	}
	c.groupsMu.Lock()
	defer c.groupsMu.Unlock()
	if c.groups != nil {
		return c.groups, nil
	}
	var groups []struct {
		ID       int    `json:"id"`
		FullPath string `json:"full_path"`
	}
	if _, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: projectPath(c.projectID) + "/groups"}, &groups); err != nil {
		return nil, fmt.Errorf("listing the groups of project %s: %w", c.projectID, err)
	}
	sort.SliceStable(groups, func(i, j int) bool { return len(groups[i].FullPath) < len(groups[j].FullPath) })
	ids := make([]string, 0, len(groups))
	for _, g := range groups {
		ids = append(ids, strconv.Itoa(g.ID))
	}
	c.groups = ids
	return ids, nil
}

// layer keeps, of one owner's variables, those the environment sees: the environment's own
// over the wildcard's.
func layer(vars []variable, environment string, into map[string]string) {
	own := map[string]bool{}
	for _, v := range vars {
		switch {
		case wildcard(v.EnvironmentScope):
			if !own[v.Key] {
				into[v.Key] = v.Value
			}
		case wildcard(environment) || v.EnvironmentScope == environment:
			into[v.Key], own[v.Key] = v.Value, true
		}
	}
}

// visible returns the variables the store sees for environment: each group's (the later,
// nearer group over the earlier), then the project's over them all.
func (c *Client) visible(ctx context.Context, environment string) (map[string]string, error) {
	groups, err := c.resolveGroups(ctx)
	if err != nil {
		return nil, err
	}
	owners := make([]string, 0, len(groups)+1)
	for _, g := range groups {
		owners = append(owners, groupPath(g))
	}
	if c.projectID != "" {
		owners = append(owners, projectPath(c.projectID))
	}
	values := map[string]string{}
	for _, owner := range owners {
		vars, err := c.list(ctx, owner)
		if err != nil {
			return nil, err
		}
		seen := map[string]string{}
		layer(vars, environment, seen)
		for k, v := range seen {
			values[k] = v
		}
	}
	return values, nil
}

// readAll reads what the store sees, for the fetcher's one document.
func (c *Client) readAll(ctx context.Context) (map[string]string, error) {
	return c.visible(ctx, c.environment)
}

func checkRef(ref esv1.ExternalSecretDataRemoteRef) (esv1.ExternalSecretDataRemoteRef, error) {
	if ref.Version != "" {
		return ref, fmt.Errorf("%q: GitLab variables have no versions; remove remoteRef.version", ref.Key)
	}
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		return ref, fmt.Errorf("%q: Ferry does not read GitLab variable metadata; remove remoteRef.metadataPolicy", ref.Key)
	}
	return ref, nil
}

// DocumentKey serves every read of the store from its one document.
func (c *Client) DocumentKey(ref esv1.ExternalSecretDataRemoteRef) (string, bool) {
	if _, err := checkRef(ref); err != nil {
		return "", false
	}
	return c.Batch.DocumentKey(ref)
}

// SecretFromDocument returns the variable ref names from the store's document.
func (c *Client) SecretFromDocument(doc provider.Document, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	values, err := decode(doc)
	if err != nil {
		return nil, err
	}
	return flatscope.Get(values, lookup(values, ref))
}

// SecretMapFromDocument spreads the JSON variable ref names from the store's document.
func (c *Client) SecretMapFromDocument(doc provider.Document, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	values, err := decode(doc)
	if err != nil {
		return nil, err
	}
	return flatscope.GetMap(values, lookup(values, ref))
}

func decode(doc provider.Document) (map[string]string, error) {
	if doc.Err != nil {
		return nil, doc.Err
	}
	var values map[string]string
	if err := json.Unmarshal(doc.Value, &values); err != nil {
		return nil, fmt.Errorf("decoding the store's variables: %w", err)
	}
	return values, nil
}

// GetSecret returns the variable ref.Key (dashes read as underscores) the store sees, or
// a JSON property of it.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	ref, err := checkRef(ref)
	if err != nil {
		return nil, err
	}
	values, err := c.readAll(ctx)
	if err != nil {
		return nil, err
	}
	return flatscope.Get(values, lookup(values, ref))
}

// GetSecretMap spreads the JSON object in the variable ref.Key into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	ref, err := checkRef(ref)
	if err != nil {
		return nil, err
	}
	values, err := c.readAll(ctx)
	if err != nil {
		return nil, err
	}
	return flatscope.GetMap(values, lookup(values, ref))
}

// GetAllSecrets returns the variables whose names match find.name.regexp (required, as
// ESO). The only tag is environment_scope, which picks the environment when the store
// sets none.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	environment := c.environment
	for k, v := range find.Tags {
		if k != "environment_scope" {
			return nil, errors.New("dataFrom.find.tags: GitLab variables are found by environment_scope only")
		}
		if !wildcard(environment) && !wildcard(v) {
			return nil, fmt.Errorf("dataFrom.find.tags.environment_scope: the store reads environment %q only", environment)
		}
		if !wildcard(v) {
			environment = v
		}
	}
	if find.Name == nil || find.Name.RegExp == "" {
		return nil, errors.New("dataFrom.find.name.regexp: required for GitLab variables")
	}
	sel, err := provider.CompileFind(esv1.ExternalSecretFind{Name: find.Name, Path: find.Path},
		provider.FindOptions{NoPaths: "GitLab CI/CD variables"})
	if err != nil {
		return nil, err
	}
	values, err := c.visible(ctx, environment)
	if err != nil {
		return nil, err
	}
	return flatscope.Select(values, sel), nil
}

// Validate checks that the token can list the project's and groups' variables.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.readAll(ctx); err != nil {
		return esv1.ValidationResultError, err
	}
	return esv1.ValidationResultReady, nil
}

// Close drops idle connections.
func (c *Client) Close(context.Context) error {
	c.api.HTTP.CloseIdleConnections()
	return nil
}
