package conjur

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
)

const authField = specField + ".auth"

// Conjur access tokens live 8 minutes; a token that does not say when it expires is
// given that life.
const defaultTokenLife = 8 * time.Minute

// serviceAccountTokenSeconds is the life of a ServiceAccount token requested for authn-jwt:
// it is used once, at the login.
const serviceAccountTokenSeconds = 600

// defaultJWTKey is the key of auth.jwt.secretRef's Secret read when the ref names none.
const defaultJWTKey = "token"

// authEnv is what a login needs to read its credentials and reach Conjur.
type authEnv struct {
	store     esv1.GenericStore
	kube      client.Client
	namespace string
	api       *api
}

// loginFor returns the account the store's auth method names and the login that obtains
// an access token with it. Credentials are read at each login, which is rare: the token is
// kept until two thirds of its life have passed.
func loginFor(auth esv1.ConjurAuth, env *authEnv) (string, credcache.Login) {
	switch {
	case auth.APIKey != nil:
		return auth.APIKey.Account, env.apiKeyLogin(auth.APIKey)
	case auth.JWT != nil:
		return auth.JWT.Account, env.jwtLogin(auth.JWT)
	default:
		return auth.Cert.Account, env.certLogin(auth.Cert)
	}
}

// apiKeyLogin authenticates a user or host with its API key (authn).
func (e *authEnv) apiKeyLogin(a *esv1.ConjurAPIKey) credcache.Login {
	return func(ctx context.Context) (credcache.Token, error) {
		const field = authField + ".apikey"
		login, err := provider.SecretKeyValue(ctx, e.kube, e.store, e.namespace, a.UserRef, field+".userRef")
		if err != nil {
			return credcache.Token{}, err
		}
		key, err := provider.SecretKeyValue(ctx, e.kube, e.store, e.namespace, a.APIKeyRef, field+".apiKeyRef")
		if err != nil {
			return credcache.Token{}, err
		}
		path := "/authn/" + escape(a.Account) + "/" + escape(strings.TrimSpace(string(login))) + "/authenticate"
		return e.authenticate(ctx, call{method: http.MethodPost, path: path,
			body: strings.NewReader(strings.TrimSpace(string(key))), contentType: "text/plain"})
	}
}

// jwtLogin authenticates with a JWT from a Secret or a ServiceAccount token (authn-jwt).
func (e *authEnv) jwtLogin(j *esv1.ConjurJWT) credcache.Login {
	return func(ctx context.Context) (credcache.Token, error) {
		jwt, err := e.jwt(ctx, j)
		if err != nil {
			return credcache.Token{}, err
		}
		path := "/authn-jwt/" + escape(j.ServiceID) + "/" + escape(j.Account)
		if j.HostID != "" {
			path += "/" + escape(j.HostID)
		}
		form := url.Values{"jwt": {jwt}}
		return e.authenticate(ctx, call{method: http.MethodPost, path: path + "/authenticate",
			body: strings.NewReader(form.Encode()), contentType: "application/x-www-form-urlencoded"})
	}
}

// jwt reads auth.jwt's token: a new ServiceAccount token, or the Secret's.
func (e *authEnv) jwt(ctx context.Context, j *esv1.ConjurJWT) (string, error) {
	const field = authField + ".jwt"
	if ref := j.ServiceAccountRef; ref != nil {
		sa, err := provider.ServiceAccount(ctx, e.kube, e.store, e.namespace, *ref, field+".serviceAccountRef")
		if err != nil {
			return "", err
		}
		token, _, err := provider.ServiceAccountToken(ctx, e.kube, sa, ref.Audiences, serviceAccountTokenSeconds)
		return token, err
	}
	ref := *j.SecretRef
	if ref.Key == "" {
		ref.Key = defaultJWTKey
	}
	raw, err := provider.SecretKeyValue(ctx, e.kube, e.store, e.namespace, ref, field+".secretRef")
	return strings.TrimSpace(string(raw)), err
}

// certLogin authenticates with the client certificate the transport presents (authn-cert).
// Without a host id, Conjur takes the identity from the certificate (SPIFFE mode).
func (e *authEnv) certLogin(c *esv1.ConjurCert) credcache.Login {
	return func(ctx context.Context) (credcache.Token, error) {
		path := "/authn-cert/" + escape(c.ServiceID) + "/" + escape(c.Account)
		if c.HostID != "" {
			path += "/" + escape(c.HostID)
		}
		return e.authenticate(ctx, call{method: http.MethodPost, path: path + "/authenticate"})
	}
}

// authenticate posts a login and returns the access token, base64-encoded as the
// Authorization header carries it, with its expiry.
func (e *authEnv) authenticate(ctx context.Context, c call) (credcache.Token, error) {
	c.base64 = true
	raw, encoding, err := e.api.do(ctx, c)
	if err != nil {
		return credcache.Token{}, fmt.Errorf("logging in to conjur: %w", err)
	}
	var tokenJSON []byte
	if encoding == "base64" {
		if tokenJSON, err = base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw))); err != nil {
			return credcache.Token{}, fmt.Errorf("logging in to conjur: the access token is not base64")
		}
	} else {
		tokenJSON = raw
	}
	expiry, err := tokenExpiry(tokenJSON, time.Now())
	if err != nil {
		return credcache.Token{}, fmt.Errorf("logging in to conjur: %w", err)
	}
	return credcache.Token{Value: base64.StdEncoding.EncodeToString(tokenJSON), Expiry: expiry}, nil
}

// tokenExpiry reads when a Conjur access token expires: the exp of its payload (Conjur 5
// and later), or the default life from now for the older format.
func tokenExpiry(tokenJSON []byte, now time.Time) (time.Time, error) {
	var tok struct {
		Payload string `json:"payload"`
	}
	if err := json.Unmarshal(tokenJSON, &tok); err != nil {
		return time.Time{}, fmt.Errorf("the access token is not JSON")
	}
	if tok.Payload == "" {
		return now.Add(defaultTokenLife), nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(tok.Payload, "="))
	if err != nil {
		return time.Time{}, fmt.Errorf("the access token's payload is not base64url")
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Exp == 0 {
		return now.Add(defaultTokenLife), nil //nolint:nilerr // a payload without exp gets the default life
	}
	return time.Unix(claims.Exp, 0), nil
}
