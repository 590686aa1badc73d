package oracle

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/property"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// maxListPages bounds a find's walk through ListSecrets pages, so that a server that keeps
// answering with a next page cannot hold a reconcile forever.
const maxListPages = 1000

// Client reads one OCI vault for a store.
type Client struct {
	secrets, vaults, kms              *restclient.Client
	vault, compartment, encryptionKey string
	// refusedHint says what to check when OCI refuses a signature, for the store's principal.
	refusedHint string
}

var _ provider.Client = (*Client)(nil)

// secretBundle is the part of the Secrets service's SecretBundle Ferry reads.
type secretBundle struct {
	SecretID      string `json:"secretId"`
	VersionNumber int64  `json:"versionNumber"`
	Content       struct {
		ContentType string `json:"contentType"`
		Content     string `json:"content"`
	} `json:"secretBundleContent"`
}

// GetSecret returns the secret's value, or with ref.Property the value at that path of
// its JSON, as ESO does.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	return property.SelectFrom(ctx, c.read, ref, "oci vault secret")
}

// GetSecretMap spreads the secret's JSON object (or the object at ref.Property inside it)
// into keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	return property.SpreadFrom(ctx, c.read, ref, "oci vault secret")
}

// read returns the decoded content of the bundle of the secret named ref.Key in the vault.
// remoteRef.version is a stage (CURRENT, PENDING, LATEST, PREVIOUS, DEPRECATED), as ESO
// sends it; a number reads that version, which ESO cannot.
func (c *Client) read(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	query := url.Values{"secretName": {ref.Key}, "vaultId": {c.vault}}
	switch v := ref.Version; {
	case v == "":
	case strings.Trim(v, "0123456789") == "":
		query.Set("versionNumber", v)
	default:
		query.Set("stage", v)
	}
	var bundle secretBundle
	if _, err := c.secrets.Do(ctx, restclient.Request{Method: http.MethodGet, Path: "/20190301/secretbundles/actions/getByName", Query: query}, &bundle); err != nil {
		if restclient.Status(err) == http.StatusNotFound {
			return nil, fmt.Errorf("%w (%w)", provider.NotFound(ref.Key), err)
		}
		return nil, fmt.Errorf("reading oci vault secret %q: %w", ref.Key, c.explain(err))
	}
	if bundle.Content.ContentType != "BASE64" {
		return nil, fmt.Errorf("oci vault secret %q: its bundle content is of type %q, not BASE64", ref.Key, bundle.Content.ContentType)
	}
	value, err := base64.StdEncoding.DecodeString(bundle.Content.Content)
	if err != nil {
		return nil, fmt.Errorf("oci vault secret %q: its bundle content is not valid base64", ref.Key)
	}
	return value, nil
}

// secretSummary is the part of the Vault service's SecretSummary that find reads.
type secretSummary struct {
	SecretName     string            `json:"secretName"`
	LifecycleState string            `json:"lifecycleState"`
	TimeOfDeletion *string           `json:"timeOfDeletion"`
	FreeformTags   map[string]string `json:"freeformTags"`
}

// GetAllSecrets lists the vault's secrets in the store's compartment and reads those whose
// name matches find.name.regexp and whose freeform tags hold find.tags. Secrets pending
// deletion are left out, as ESO leaves them out.
func (c *Client) GetAllSecrets(ctx context.Context, ref esv1.ExternalSecretFind) (map[string][]byte, error) {
	find, err := provider.CompileFind(ref, provider.FindOptions{NoPaths: "OCI Vault"})
	if err != nil {
		return nil, err
	}
	if c.compartment == "" {
		return nil, fmt.Errorf("dataFrom.find: %s.compartment is unset: OCI lists secrets by compartment; set the OCID of the compartment the vault's secrets are in", specField)
	}
	var names []string
	query := url.Values{"compartmentId": {c.compartment}, "vaultId": {c.vault}}
	for pages := 0; ; pages++ {
		if pages == maxListPages {
			return nil, fmt.Errorf("listing oci vault secrets: more than %d pages", maxListPages)
		}
		var summaries []secretSummary
		resp, err := c.vaults.Do(ctx, restclient.Request{Method: http.MethodGet, Path: "/20180608/secrets", Query: query}, &summaries)
		if err != nil {
			return nil, fmt.Errorf("listing oci vault secrets: %w", c.explain(err))
		}
		for _, s := range summaries {
			if s.TimeOfDeletion == nil && live(s.LifecycleState) && find.Match(s.SecretName, s.FreeformTags) {
				names = append(names, s.SecretName)
			}
		}
		next := resp.Header.Get("Opc-Next-Page")
		if next == "" {
			break
		}
		query.Set("page", next)
	}
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		value, err := c.read(ctx, esv1.ExternalSecretDataRemoteRef{Key: name})
		if err != nil {
			return nil, err
		}
		out[name] = value
	}
	return out, nil
}

// live says whether a secret in this lifecycle state can be read.
func live(state string) bool {
	switch state {
	case "PENDING_DELETION", "DELETED", "DELETING", "SCHEDULING_DELETION":
		return false
	}
	return true
}

// Validate proves that OCI accepts the store's API key: it reads the vault from the Key
// Management service, as ESO does. A user who may read secrets but not vaults is told
// apart: the result is Unknown, not an error, as in ESO.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	var vault struct {
		ID string `json:"id"`
	}
	_, err := c.kms.Do(ctx, restclient.Request{Method: http.MethodGet, Path: "/20180608/vaults/" + url.PathEscape(c.vault)}, &vault)
	switch {
	case err == nil && vault.ID == c.vault:
		return esv1.ValidationResultReady, nil
	case err == nil:
		return esv1.ValidationResultError, fmt.Errorf("checking the oci vault: the Key Management service answered without vault %q: is this OCI?", c.vault)
	case restclient.Status(err) == http.StatusNotFound:
		return esv1.ValidationResultUnknown, fmt.Errorf("checking the oci vault: %w (the key was accepted, but the vault cannot be read: it may not exist, or the user may read secrets without reading vaults)", err)
	}
	return esv1.ValidationResultError, fmt.Errorf("checking the oci vault: %w", c.explain(err))
}

// Close drops the client's idle connections.
func (c *Client) Close(context.Context) error {
	c.secrets.HTTP.CloseIdleConnections()
	return nil
}

// explain adds what to check to a refused call.
func (c *Client) explain(err error) error {
	switch restclient.Status(err) {
	case http.StatusUnauthorized:
		return fmt.Errorf("%w (OCI refused the request signature: %s)", err, c.refusedHint)
	case http.StatusTooManyRequests:
		return fmt.Errorf("%w (%s)", err, provider.RateLimitHint)
	}
	return err
}

// errorMessage reads OCI's error body: {"code": ..., "message": ...}.
func errorMessage(body []byte) string {
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.Code == "" {
		return e.Message
	}
	return e.Message + " [" + e.Code + "]"
}
