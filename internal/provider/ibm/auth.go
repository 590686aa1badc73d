package ibm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/redact"
)

// defaultTokenLocation is where containerAuth reads the compute resource token when the
// store names no file: ESO's default, kept so that ESO's manifests mean the same.
const defaultTokenLocation = "/var/run/secrets/tokens/vault-token"

// IAM's grant types (IBM Cloud IAM "Get an IAM token" API).
const (
	apiKeyGrant  = "urn:ibm:params:oauth:grant-type:apikey"
	crTokenGrant = "urn:ibm:params:oauth:grant-type:cr-token"
)

// loginFor reads the store's credential now (the API key) or names it (the token file,
// read again at each login so a rotated projected token is picked up) and returns the
// login that exchanges it for an IAM access token.
func loginFor(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string, a *api) (credcache.Login, error) {
	auth := store.GetSpec().Provider.IBM.Auth
	if ref := auth.SecretRef; ref != nil {
		name := field + ".auth.secretRef.secretApiKeySecretRef"
		raw, err := provider.SecretKeyValue(ctx, kube, store, namespace, *ref.SecretAPIKeySecretRef, name)
		if err != nil {
			return nil, err
		}
		apiKey := strings.TrimSpace(string(raw))
		if apiKey == "" {
			return nil, errors.New(name + ": the Secret's key is empty; put an IBM Cloud API key in it")
		}
		form := url.Values{"grant_type": {apiKeyGrant}, "apikey": {apiKey}}
		return exchange(a, ref.IAMEndpoint, apiKeyHint, func() (url.Values, error) { return form, nil }), nil
	}
	ca := auth.ContainerAuth
	location := ca.TokenLocation
	if location == "" {
		location = defaultTokenLocation
	}
	return exchange(a, ca.IAMEndpoint, containerHint, func() (url.Values, error) {
		raw, err := os.ReadFile(filepath.Clean(location))
		if err != nil {
			return nil, fmt.Errorf("%s.auth.containerAuth.tokenLocation: reading the compute resource token: %w", field, err)
		}
		crToken := strings.TrimSpace(string(raw))
		if crToken == "" {
			return nil, fmt.Errorf("%s.auth.containerAuth.tokenLocation: %s is empty", field, location)
		}
		redact.RememberCredentialString(crToken)
		return url.Values{"grant_type": {crTokenGrant}, "cr_token": {crToken}, "profile_name": {ca.Profile}}, nil
	}), nil
}

// exchange returns the login that posts the grant form makes to IAM's token endpoint and
// keeps the access token until the time IAM gives.
func exchange(a *api, endpoint string, hint func(int) string, form func() (url.Values, error)) credcache.Login {
	if endpoint == "" {
		endpoint = DefaultIAMEndpoint
	}
	return func(ctx context.Context) (credcache.Token, error) {
		grant, err := form()
		if err != nil {
			return credcache.Token{}, err
		}
		var out struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
			Expiration  int64  `json:"expiration"`
		}
		if err := a.token(ctx, endpoint, grant, hint, &out); err != nil {
			return credcache.Token{}, fmt.Errorf("getting an IAM token: %w", err)
		}
		if out.AccessToken == "" {
			return credcache.Token{}, errors.New("getting an IAM token: IAM answered without access_token")
		}
		tok := credcache.Token{Value: out.AccessToken}
		switch {
		case out.Expiration > 0:
			tok.Expiry = time.Unix(out.Expiration, 0)
		case out.ExpiresIn > 0:
			tok.Expiry = time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
		}
		return tok, nil
	}
}

func apiKeyHint(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return "IAM did not accept the API key: check the key in auth.secretRef.secretApiKeySecretRef, and that it is not deleted, locked or disabled"
	case http.StatusTooManyRequests:
		return provider.RateLimitHint
	}
	return ""
}

func containerHint(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return "IAM did not accept the compute resource token for the trusted profile: check auth.containerAuth.profile, " +
			"that the profile trusts this cluster, and the token file at auth.containerAuth.tokenLocation"
	case http.StatusTooManyRequests:
		return provider.RateLimitHint
	}
	return ""
}
