package ibm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/property"
)

// Client reads one Secrets Manager instance for a store.
type Client struct {
	api    *api
	tokens *credcache.Source
}

var _ provider.Client = (*Client)(nil)

// The secret types ESO reads, with the fields of Secrets Manager's secret resource that
// hold their values.
const (
	typeArbitrary          = "arbitrary"
	typeUsernamePassword   = "username_password"
	typeIAMCredentials     = "iam_credentials"
	typeServiceCredentials = "service_credentials"
	typeImportedCert       = "imported_cert"
	typePublicCert         = "public_cert"
	typePrivateCert        = "private_cert"
	typeKV                 = "kv"
	typeCustomCredentials  = "custom_credentials"
)

var knownTypes = []string{typeArbitrary, typeUsernamePassword, typeIAMCredentials, typeServiceCredentials,
	typeImportedCert, typePublicCert, typePrivateCert, typeKV, typeCustomCredentials}

// secretID is the form of a Secrets Manager secret ID; a key's last part in any other form
// is a secret's name.
var secretID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// address is the secret a remote key names, as ESO reads keys: "<id>" (an arbitrary
// secret), "<type>/<id>", or "<group>/<type>/<id or name>".
type address struct {
	key, group, secretType, name string
}

func (a address) byID() bool { return secretID.MatchString(a.name) }

func parseKey(key string) (address, error) {
	parts := strings.Split(key, "/")
	a := address{key: key, secretType: typeArbitrary}
	switch len(parts) {
	case 1:
		a.name = parts[0]
	case 2:
		a.secretType, a.name = parts[0], parts[1]
	case 3:
		a.group, a.secretType, a.name = parts[0], parts[1], parts[2]
	default:
		return a, fmt.Errorf("remoteRef.key %q: write <secret id>, <secret type>/<secret id> or <secret group>/<secret type>/<secret name>", key)
	}
	for _, p := range parts {
		if p == "" {
			return a, fmt.Errorf("remoteRef.key %q: a part is empty; write <secret id>, <secret type>/<secret id> or <secret group>/<secret type>/<secret name>", key)
		}
	}
	if !slices.Contains(knownTypes, a.secretType) {
		return a, fmt.Errorf("remoteRef.key %q: unknown secret type %q; Ferry reads %s", key, a.secretType, strings.Join(knownTypes, ", "))
	}
	if !a.byID() && a.group == "" {
		return a, fmt.Errorf("remoteRef.key %q: %q is not a secret ID; to read a secret by name write <secret group name>/%s/%s "+
			"(secrets outside any group are in the group named default)", key, a.name, a.secretType, a.name)
	}
	return a, nil
}

// read fetches the secret addr names (or its version, when version is set), as a JSON
// object.
func (c *Client) read(ctx context.Context, addr address, version string) (map[string]any, error) {
	var path string
	if addr.byID() {
		path = "/api/v2/secrets/" + url.PathEscape(addr.name)
	} else {
		path = "/api/v2/secret_groups/" + url.PathEscape(addr.group) + "/secret_types/" + url.PathEscape(addr.secretType) +
			"/secrets/" + url.PathEscape(addr.name)
	}
	if version != "" {
		id := addr.name
		if !addr.byID() {
			// A version is read by the secret's ID: learn it from the secret.
			secret, err := c.fetch(ctx, addr, path)
			if err != nil {
				return nil, err
			}
			if id, _ = secret["id"].(string); id == "" {
				return nil, fmt.Errorf("reading secret %q: Secrets Manager answered without the secret's id", addr.key)
			}
		}
		path = "/api/v2/secrets/" + url.PathEscape(id) + "/versions/" + url.PathEscape(version)
	}
	return c.fetch(ctx, addr, path)
}

// fetch reads path and checks that the secret is of the type the key names.
func (c *Client) fetch(ctx context.Context, addr address, path string) (map[string]any, error) {
	var raw json.RawMessage
	if err := c.authorized(ctx, path, &raw); err != nil {
		if provider.HTTPStatus(err) == http.StatusNotFound {
			return nil, fmt.Errorf("%w (%w)", provider.NotFound(addr.key), err)
		}
		return nil, fmt.Errorf("reading secret %q: %w", addr.key, err)
	}
	var secret map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&secret); err != nil || secret == nil {
		return nil, fmt.Errorf("reading secret %q: the answer is not a JSON object", addr.key)
	}
	got, _ := secret["secret_type"].(string)
	switch {
	case got == "" || got == addr.secretType:
	case slices.Contains(knownTypes, got):
		return nil, fmt.Errorf("remoteRef.key %q: the secret is of type %s, not %s; write %s/%s", addr.key, got, addr.secretType, got, addr.name)
	default:
		// Not a type of the API reference: the answer's text is not quoted.
		return nil, fmt.Errorf("remoteRef.key %q: the secret is of a type Ferry does not read, not %s", addr.key, addr.secretType)
	}
	return secret, nil
}

// authorized sends a GET with the client's IAM token; a token Secrets Manager refuses is
// replaced once and the request repeated.
func (c *Client) authorized(ctx context.Context, path string, out any) error {
	token, err := c.tokens.Get(ctx)
	if err != nil {
		return err
	}
	err = c.api.get(ctx, path, token, out)
	if provider.HTTPStatus(err) == http.StatusUnauthorized && c.tokens.Rejected(token) {
		if token, err = c.tokens.Get(ctx); err != nil {
			return err
		}
		err = c.api.get(ctx, path, token, out)
	}
	return err
}

// render gives a field's value as Secret bytes: a string as it is, null as nothing,
// anything else as its JSON text.
func render(v any) []byte {
	switch t := v.(type) {
	case string:
		return []byte(t)
	case nil:
		return []byte{}
	default:
		raw, err := json.Marshal(t)
		if err != nil {
			return []byte(fmt.Sprint(t))
		}
		return raw
	}
}

// fieldOf returns the named top-level field of the secret; a missing one is an error that
// names the fields there are (names only), never ErrNotFound.
func fieldOf(addr address, secret map[string]any, name string) ([]byte, error) {
	v, ok := secret[name]
	if !ok {
		return nil, fmt.Errorf("remoteRef.key %q: the %s secret has no field %q (it has %s)", addr.key, addr.secretType, name, fieldNames(secret))
	}
	return render(v), nil
}

func fieldNames(secret map[string]any) string {
	names := make([]string, 0, len(secret))
	for k := range secret {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// optionalField is fieldOf for the fields ESO gives as empty when an imported certificate
// has none (intermediate, private_key), so that a kubernetes.io/tls Secret can still be made.
func optionalField(secret map[string]any, name string) []byte {
	return render(secret[name])
}

// document returns the JSON object a kv or custom_credentials secret holds.
func document(secret map[string]any, name string) ([]byte, error) {
	v, ok := secret[name]
	if !ok || v == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(v)
}

func documentField(secretType string) string {
	if secretType == typeCustomCredentials {
		return "credentials_content"
	}
	return "data"
}

// GetSecret returns the value of the secret ref.Key names, as ESO gives it for its type:
// arbitrary its payload, iam_credentials its API key, service_credentials its credentials
// object; username_password and the certificates the field ref.Property names; kv and
// custom_credentials their object or the value at ref.Property in it. metadataPolicy is
// not read here, as in ESO: a secret's metadata comes with dataFrom.extract.
func (c *Client) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	addr, err := parseKey(ref.Key)
	if err != nil {
		return nil, err
	}
	switch addr.secretType {
	case typeUsernamePassword, typeImportedCert, typePublicCert, typePrivateCert:
		if ref.Property == "" {
			return nil, fmt.Errorf("remoteRef.key %q: a %s secret needs remoteRef.property: %s", ref.Key, addr.secretType, propertyChoices(addr.secretType))
		}
	}
	secret, err := c.read(ctx, addr, ref.Version)
	if err != nil {
		return nil, err
	}
	switch addr.secretType {
	case typeArbitrary:
		return fieldOf(addr, secret, "payload")
	case typeIAMCredentials:
		return fieldOf(addr, secret, "api_key")
	case typeServiceCredentials:
		return fieldOf(addr, secret, "credentials")
	case typeKV, typeCustomCredentials:
		doc, err := document(secret, documentField(addr.secretType))
		if err != nil {
			return nil, err
		}
		out, err := property.Select(doc, ref.Property)
		if err != nil {
			return nil, fmt.Errorf("remoteRef.key %q: %w", ref.Key, err)
		}
		return out, nil
	}
	if addr.secretType == typeImportedCert && (ref.Property == "intermediate" || ref.Property == "private_key") {
		return optionalField(secret, ref.Property), nil
	}
	return fieldOf(addr, secret, ref.Property)
}

func propertyChoices(secretType string) string {
	if secretType == typeUsernamePassword {
		return "username or password"
	}
	return "certificate, private_key or intermediate"
}

// GetSecretMap returns the keys ESO makes of the secret ref.Key names: arbitrary gives
// "arbitrary", iam_credentials "apikey", service_credentials "credentials",
// username_password "username" and "password", certificates "certificate",
// "private_key" and (but private_cert) "intermediate", and kv and custom_credentials the
// keys of their object (at ref.Property). With metadataPolicy Fetch, every top-level field
// of the secret comes too, under the type's keys.
func (c *Client) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	addr, err := parseKey(ref.Key)
	if err != nil {
		return nil, err
	}
	secret, err := c.read(ctx, addr, ref.Version)
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	if ref.MetadataPolicy == esv1.MetadataPolicyFetch {
		for k, v := range secret {
			out[k] = render(v)
		}
	}
	copyFields := func(names map[string]string) error {
		// In key order, so that the first missing field named is the same on every read.
		for _, key := range slices.Sorted(maps.Keys(names)) {
			name := names[key]
			v, err := fieldOf(addr, secret, name)
			if err != nil {
				return err
			}
			out[key] = v
		}
		return nil
	}
	switch addr.secretType {
	case typeArbitrary:
		err = copyFields(map[string]string{"arbitrary": "payload"})
	case typeIAMCredentials:
		err = copyFields(map[string]string{"apikey": "api_key"})
	case typeServiceCredentials:
		err = copyFields(map[string]string{"credentials": "credentials"})
	case typeUsernamePassword:
		err = copyFields(map[string]string{"username": "username", "password": "password"})
	case typeImportedCert:
		err = copyFields(map[string]string{"certificate": "certificate"})
		out["intermediate"], out["private_key"] = optionalField(secret, "intermediate"), optionalField(secret, "private_key")
	case typePublicCert:
		err = copyFields(map[string]string{"certificate": "certificate", "intermediate": "intermediate", "private_key": "private_key"})
	case typePrivateCert:
		err = copyFields(map[string]string{"certificate": "certificate", "private_key": "private_key"})
	case typeKV, typeCustomCredentials:
		var doc []byte
		if doc, err = document(secret, documentField(addr.secretType)); err != nil {
			return nil, err
		}
		var keys map[string][]byte
		if keys, err = property.SpreadAt(doc, ref.Property); err != nil {
			return nil, fmt.Errorf("remoteRef.key %q: %w", ref.Key, err)
		}
		for k, v := range keys {
			out[k] = v
		}
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetAllSecrets is not supported: ESO's IBM provider does not list secrets either.
func (c *Client) GetAllSecrets(context.Context, esv1.ExternalSecretFind) (map[string][]byte, error) {
	return nil, provider.ErrFindNotSupported
}

// Validate proves that IAM accepts the store's credential by getting a token.
func (c *Client) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := c.tokens.Get(ctx); err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking the IBM Cloud credentials: %w", err)
	}
	// The token says nothing of serviceUrl: list the instance's secret groups, which any
	// reader may. A 403 proves the instance and the token; reads report their own.
	var groups struct {
		SecretGroups *[]json.RawMessage `json:"secret_groups"`
	}
	err := c.authorized(ctx, "/api/v2/secret_groups", &groups)
	switch {
	case provider.HTTPStatus(err) == http.StatusForbidden:
	case err != nil:
		return esv1.ValidationResultError, fmt.Errorf("checking serviceUrl (listing secret groups): %w", err)
	case groups.SecretGroups == nil:
		return esv1.ValidationResultError, errors.New("checking serviceUrl (listing secret groups): the answer is not Secrets Manager's; check that serviceUrl is the instance's endpoint")
	}
	return esv1.ValidationResultReady, nil
}

// Close drops the client's idle connections.
func (c *Client) Close(context.Context) error {
	c.api.http.CloseIdleConnections()
	return nil
}
