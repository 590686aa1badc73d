package doppler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// defaultOIDCExpiration is the ServiceAccount token lifetime ESO asks for by default.
const defaultOIDCExpiration int64 = 600

// token returns the store's credential: a Doppler token read from its Secret now, or an
// OIDC exchange made on first use and repeated shortly before the Doppler token expires.
func (p *Provider) token(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string,
	api *restclient.Client) (*restclient.Token, error) {
	auth := store.GetSpec().Provider.Doppler.Auth
	if auth.SecretRef != nil {
		raw, err := provider.SecretKeyValue(ctx, kube, store, namespace, auth.SecretRef.DopplerToken, field+".auth.secretRef.dopplerToken")
		if err != nil {
			return nil, err
		}
		if len(raw) == 0 {
			return nil, errors.New(field + ".auth.secretRef.dopplerToken: the Secret's key is empty")
		}
		value := string(raw)
		return restclient.NewToken(func(context.Context) (string, time.Time, error) { return value, time.Time{}, nil }), nil
	}
	oidc := auth.OIDCConfig
	sa, err := provider.ServiceAccount(ctx, kube, store, namespace, oidc.ServiceAccountRef, field+".auth.oidcConfig.serviceAccountRef")
	if err != nil {
		return nil, err
	}
	expiration := defaultOIDCExpiration
	if oidc.ExpirationSeconds != nil {
		expiration = *oidc.ExpirationSeconds
	}
	audiences := []string{p.baseURL, provider.StoreAudience(store)}
	return restclient.NewToken(func(ctx context.Context) (string, time.Time, error) {
		saToken, _, err := provider.ServiceAccountToken(ctx, kube, sa, audiences, expiration)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("%s.auth.oidcConfig: %w", field, err)
		}
		return exchange(ctx, api, oidc.Identity, saToken)
	}), nil
}

// exchange trades a ServiceAccount token for a Doppler token (POST /v3/auth/oidc).
func exchange(ctx context.Context, api *restclient.Client, identity, saToken string) (string, time.Time, error) {
	var out struct {
		Success   bool   `json:"success"`
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	_, err := api.Do(ctx, restclient.Request{Method: http.MethodPost, Path: "/v3/auth/oidc",
		Body: map[string]string{"identity": identity, "token": saToken}}, &out)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("exchanging the ServiceAccount token for identity %q: %w", identity, err)
	}
	if !out.Success || out.Token == "" {
		return "", time.Time{}, fmt.Errorf("exchanging the ServiceAccount token for identity %q: Doppler returned no token", identity)
	}
	expires, err := time.Parse(time.RFC3339, out.ExpiresAt)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("exchanging the ServiceAccount token for identity %q: expires_at is not an RFC 3339 time", identity)
	}
	return out.Token, expires, nil
}
