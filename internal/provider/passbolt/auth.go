package passbolt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/ferryhq/ferry/internal/provider/credcache"
)

const loginPath = "/auth/login.json"

// GPGAuth's headers (Passbolt's "Authenticating with the API", GPGAuth).
const (
	headerUserAuthToken = "X-GPGAuth-User-Auth-Token"
	headerAuthenticated = "X-GPGAuth-Authenticated"
	headerDebug         = "X-GPGAuth-Debug"
)

// sessionCookies are the names Passbolt's session cookie has had: passbolt_session, and
// CAKEPHP or PHPSESSID on older or hosted servers (go-passbolt accepts the same three).
var sessionCookies = []string{"passbolt_session", "CAKEPHP", "PHPSESSID"}

// authToken is the form of the token the server encrypts to the user at stage 1:
// "gpgauthv1.3.0|36|<uuid>|gpgauthv1.3.0".
var authToken = regexp.MustCompile(`^gpgauthv1\.3\.0\|36\|` + uuidPattern + `\|gpgauthv1\.3\.0$`)

type gpgAuth struct {
	KeyID     string `json:"keyid"`
	UserToken string `json:"user_token_result,omitempty"`
}

type loginRequest struct {
	GPGAuth gpgAuth `json:"gpg_auth"`
}

// gpgAuthLogin returns the login of GPGAuth's stages 1 and 2: the server encrypts a token
// to the user's key, the client returns it decrypted, and the server answers with the
// session cookie, kept as "name=value". Stage 0, the optional check of the server's own
// key, is not made, as go-passbolt (and so ESO) does not make it: TLS already checks the
// server.
func gpgAuthLogin(a *api, key *userKey) credcache.Login {
	return func(ctx context.Context) (credcache.Token, error) {
		req := loginRequest{GPGAuth: gpgAuth{KeyID: key.fingerprint}}
		stage1, err := a.send(ctx, http.MethodPost, loginPath, nil, req, "")
		if err != nil {
			return credcache.Token{}, fmt.Errorf("logging in: %w", err)
		}
		encrypted := stage1.header.Get(headerUserAuthToken)
		if encrypted == "" {
			return credcache.Token{}, loginRefused("stage 1", stage1,
				"the server sent no token for the key: check that auth.privateKeySecretRef holds the private key of an active Passbolt user of this server")
		}
		armored, err := url.QueryUnescape(unquoteMeta(encrypted))
		if err != nil {
			return credcache.Token{}, errors.New("logging in: the server's X-GPGAuth-User-Auth-Token is not URL-encoded")
		}
		plain, err := decrypt(key.ring, armored)
		if err != nil {
			return credcache.Token{}, fmt.Errorf("logging in: the server's token: %w; check that auth.privateKeySecretRef holds this user's key", err)
		}
		token := string(plain)
		if !authToken.MatchString(token) {
			return credcache.Token{}, errors.New("logging in: the server's token is not a GPGAuth v1.3.0 token")
		}
		req.GPGAuth.UserToken = token
		stage2, err := a.send(ctx, http.MethodPost, loginPath, nil, req, "")
		if err != nil {
			return credcache.Token{}, fmt.Errorf("logging in: %w", err)
		}
		if stage2.status >= 400 || !strings.EqualFold(stage2.header.Get(headerAuthenticated), "true") {
			return credcache.Token{}, loginRefused("stage 2", stage2, "the server did not accept the decrypted token")
		}
		for _, c := range stage2.cookies {
			for _, name := range sessionCookies {
				if c.Name == name && c.Value != "" {
					return credcache.Token{Value: c.Name + "=" + c.Value, Expiry: c.Expires}, nil
				}
			}
		}
		return credcache.Token{}, errors.New("logging in: the server authenticated the key but set no session cookie (passbolt_session)")
	}
}

// loginRefused describes a login stage that failed: the status, Passbolt's message and its
// debug header (which names the key's problem, never a secret), and what to check.
func loginRefused(stage string, ans *answer, hint string) error {
	msg := envelopeMessage(ans.body)
	if debug := strings.TrimSpace(ans.header.Get(headerDebug)); debug != "" && len(debug) <= maxMessage {
		if msg != "" {
			msg += ": "
		}
		msg += debug
	}
	if msg == "" {
		msg = http.StatusText(ans.status)
	}
	return fmt.Errorf("logging in (GPGAuth %s): %s POST %s: %d: %s (%s)", stage, service, loginPath, ans.status, msg, hint)
}

// unquoteMeta undoes the backslashes PHP's quotemeta puts in the token header (Passbolt
// sends quotemeta(urlencode(message))): an armored message holds no backslash of its own.
func unquoteMeta(s string) string {
	var b strings.Builder
	escaped := false
	for _, r := range s {
		if r == '\\' && !escaped {
			escaped = true
			continue
		}
		escaped = false
		b.WriteRune(r)
	}
	return b.String()
}
