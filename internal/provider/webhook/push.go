package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ferryhq/ferry/internal/provider"
)

// PushSecret sends value to the store's endpoint, as External Secrets Operator's webhook
// provider does: spec.method (POST when unset) to the url, with the headers and body. The
// templates see .remoteRef.remoteKey, .remoteRef.secretKey (the source key, "" for a
// whole Secret sent as a JSON object), .remoteRef.property and the value itself as
// .remoteRef.<remoteKey> (index .remoteRef .remoteRef.remoteKey), URL-escaped in the url
// and as they are in the headers and body. Without a body template the value is the body.
// Every push sends the request: an endpoint cannot be asked whether it holds the value.
func (c *webhookClient) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	if err := provider.NoMetadata(ref, "webhook"); err != nil {
		return err
	}
	if ref.RemoteKey == "" {
		return errors.New("webhook: remoteRef.remoteKey: required; the url and body templates name it")
	}
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	var body *string
	if !c.hasBody {
		v := string(value)
		body = &v
	}
	_, err := c.call(ctx, ref.RemoteKey, method, newPushData(c.secrets, ref, value, true), newPushData(c.secrets, ref, value, false), body)
	if errors.Is(err, provider.ErrNotFound) {
		return fmt.Errorf("webhook for key %q: the endpoint answered 404 Not Found to the push", ref.RemoteKey)
	}
	return err
}

// DeleteSecret sends DELETE to the url rendered for ref (its templates see no value), with
// the headers; as for ESO, the body is empty and a 404 answer means already gone.
func (c *webhookClient) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	empty := ""
	_, err := c.call(ctx, ref.RemoteKey, http.MethodDelete, newPushData(c.secrets, ref, nil, true), newPushData(c.secrets, ref, nil, false), &empty)
	if errors.Is(err, provider.ErrNotFound) {
		return nil
	}
	return err
}

// SecretExists sends GET to the url rendered for ref (its templates see no value), with
// the headers and no body: a 2xx answer means the key exists, a 404 that it does not.
func (c *webhookClient) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	empty := ""
	_, err := c.call(ctx, ref.RemoteKey, http.MethodGet, newPushData(c.secrets, ref, nil, true), newPushData(c.secrets, ref, nil, false), &empty)
	switch {
	case errors.Is(err, provider.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// newPushData is what the templates see for a push (value set) or a delete or existence
// check (value nil), URL-escaped for the url when escape is set.
func newPushData(secrets map[string]map[string]string, ref provider.PushRef, value []byte, escape bool) *templateData {
	d := newTemplateData(secrets, "", "", "")
	enc := func(s string) string { return s }
	if escape {
		enc = url.QueryEscape
	}
	remote := map[string]string{"remoteKey": enc(ref.RemoteKey), "secretKey": enc(ref.SecretKey), "property": enc(ref.Property)}
	if value != nil {
		remote[ref.RemoteKey] = enc(string(value))
		d.secrets = append(d.secrets, string(value))
	}
	d.values["remoteRef"] = remote
	return d
}
