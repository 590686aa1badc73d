package onboardbase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/flatscope"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// secretsPath is the API's one read: every secret of a project environment.
const secretsPath = "/secrets"

// Client reads one Onboardbase project environment.
type Client struct {
	flatscope.Batch
	api                  *restclient.Client
	creds                credentials
	project, environment string
}

// environmentAnswer is the body of GET /secrets: the environment's secrets, each name and
// value encrypted with the API key's passcode.
type environmentAnswer struct {
	Message string `json:"message"`
	Data    *struct {
		// Secrets is a pointer so that an answer without the list is told from an empty
		// environment: only the second may make a read "not found".
		Secrets *[]struct {
			ID    string `json:"id"`
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"secrets"`
	} `json:"data"`
}

// errorMessage reads the message of an error body. Onboardbase's reference documents the
// statuses, not the body: this takes "message" (a string or a list, as NestJS services
// answer) and "messages" (the list ESO's client reads), whichever is there.
func errorMessage(body []byte) string {
	var e struct {
		Message  json.RawMessage `json:"message"`
		Messages []string        `json:"messages"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	var one string
	var many []string
	switch {
	case json.Unmarshal(e.Message, &one) == nil && one != "":
		return one
	case json.Unmarshal(e.Message, &many) == nil && len(many) > 0:
		return strings.Join(many, "; ")
	}
	return strings.Join(e.Messages, "; ")
}

// readEnvironment reads and decrypts every secret of the store's project environment: the
// fetcher's one document, and what every read is answered from. A secret that does not
// decrypt fails the whole read, so that no ExternalSecret gets part of an environment.
func (c *Client) readEnvironment(ctx context.Context) (map[string]string, error) {
	q := url.Values{}
	if c.project != "" {
		q.Set("project", c.project)
	}
	if c.environment != "" {
		q.Set("environment", c.environment)
	}
	var answer environmentAnswer
	_, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: secretsPath, Query: q,
		Header: http.Header{"API_KEY": {c.creds.apiKey}}}, &answer)
	if err != nil {
		return nil, fmt.Errorf("reading project %q environment %q: %w%s", c.project, c.environment, err, hint(err))
	}
	if answer.Data == nil || answer.Data.Secrets == nil {
		return nil, fmt.Errorf("reading project %q environment %q: the answer holds no data.secrets list (its message: %q)",
			c.project, c.environment, truncate(answer.Message))
	}
	secrets := *answer.Data.Secrets
	values := make(map[string]string, len(secrets))
	for _, s := range secrets {
		name, err := decrypt(s.Key, c.creds.passcode)
		if err != nil {
			return nil, c.undecryptable("the name", s.ID, err)
		}
		if name == "" {
			// No remoteRef can name it and no Secret key can hold it.
			continue
		}
		value, err := decrypt(s.Value, c.creds.passcode)
		if err != nil {
			return nil, c.undecryptable(fmt.Sprintf("the value of %q", name), s.ID, err)
		}
		values[name] = value
	}
	return values, nil
}

// truncate bounds the vendor message an error quotes.
func truncate(msg string) string {
	const limit = 200
	if len(msg) > limit {
		return strings.ToValidUTF8(msg[:limit], "") + "…"
	}
	return msg
}

func (c *Client) undecryptable(what, id string, err error) error {
	return fmt.Errorf("reading project %q environment %q: %s of secret id %q is %w: check that %s.auth.passcodeRef holds the passcode given when the API key was made",
		c.project, c.environment, what, id, err, field)
}

// hint says what a user checks for a refused read.
func hint(err error) string {
	switch restclient.Status(err) {
	case http.StatusUnauthorized:
		return ": Onboardbase refused the API key; check the Secret key " + field + ".auth.apiKeyRef names"
	case http.StatusForbidden:
		return ": the API key may not read this project's secrets; give it a scope that reads secrets"
	case http.StatusNotFound:
		return ": check " + field + ".project and .environment, which name them as Onboardbase shows them"
	case http.StatusTooManyRequests:
		return ": " + provider.RateLimitHint
	}
	return ""
}

// current reads the environment for a ref it can answer: Onboardbase keeps no versions and
// no metadata.
func (c *Client) current(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string]string, error) {
	if err := flatscope.CheckCurrent(ref, "Onboardbase"); err != nil {
		return nil, err
	}
	return c.readEnvironment(ctx)
}

// GetSecret returns the secret named ref.Key, or the JSON property ref.Property of it. A name
// the environment lacks is provider.ErrNotFound.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	values, err := c.current(ctx, ref)
	if err != nil {
		return nil, err
	}
	return flatscope.Get(values, ref)
}

// GetSecretMap spreads the JSON object in the secret named ref.Key (or in its property)
// into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	values, err := c.current(ctx, ref)
	if err != nil {
		return nil, err
	}
	return flatscope.GetMap(values, ref)
}

// GetAllSecrets returns the environment's secrets whose names match find.name.regexp and
// start with find.path: all of them without a condition, as ESO does.
func (c *Client) GetAllSecrets(ctx context.Context, find esv1.ExternalSecretFind) (map[string][]byte, error) {
	if len(find.Tags) > 0 {
		return nil, errors.New("dataFrom.find.tags: Onboardbase secrets have no tags; select by name.regexp or path")
	}
	sel, err := provider.CompileFind(find, provider.FindOptions{EmptySelectsAll: true})
	if err != nil {
		return nil, err
	}
	values, err := c.readEnvironment(ctx)
	if err != nil {
		return nil, err
	}
	return flatscope.Select(values, sel), nil
}

// Validate reads and decrypts the environment: that proves the API key, its scope, the
// project and environment names and the passcode at once.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.readEnvironment(ctx); err != nil {
		return esv1.ValidationResultError, err
	}
	return esv1.ValidationResultReady, nil
}

// Close drops idle connections.
func (c *Client) Close(context.Context) error {
	c.api.HTTP.CloseIdleConnections()
	return nil
}
