package pulumi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// The fixed values of Pulumi's OAuth token exchange (RFC 8693) for an organization token.
const (
	grantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	subjectIDToken     = "urn:ietf:params:oauth:token-type:id_token"
	organizationToken  = "urn:pulumi:token-type:access_token:organization"
)

// credential returns how a client obtains its Pulumi access token: read once from the
// store's Secret, or, for auth.oidcConfig, a ServiceAccount token exchanged at Pulumi
// Cloud and exchanged again before the Pulumi token expires.
func (p *Provider) credential(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string,
	api *restclient.Client) (*credcache.Source, string, error) {
	spec := store.GetSpec().Provider.Pulumi
	if ref, refField, _ := tokenRef(spec); ref != nil { // ValidateStore refused every other case
		raw, err := provider.SecretKeyValue(ctx, kube, store, namespace, *ref.SecretRef, refField+".secretRef")
		if err != nil {
			return nil, "", err
		}
		token := strings.TrimSpace(string(raw))
		if token == "" {
			return nil, "", errors.New(refField + ".secretRef: the access token is empty")
		}
		static := func(context.Context) (credcache.Token, error) { return credcache.Token{Value: token}, nil }
		return credcache.New(static), refField, nil
	}
	oidc := spec.Auth.OIDCConfig
	oidcField := field + ".auth.oidcConfig"
	sa, err := provider.ServiceAccount(ctx, kube, store, namespace, oidc.ServiceAccountRef, oidcField+".serviceAccountRef")
	if err != nil {
		return nil, "", err
	}
	expiration := oidc.ExpirationSeconds
	if expiration == 0 {
		expiration = 600 // the CRD's default
	}
	base := cloudURL(api.BaseURL)
	audiences := append([]string{base, provider.StoreAudience(store)}, oidc.ServiceAccountRef.Audiences...)
	login := func(ctx context.Context) (credcache.Token, error) {
		saToken, _, err := provider.ServiceAccountToken(ctx, kube, sa, audiences, expiration)
		if err != nil {
			return credcache.Token{}, fmt.Errorf("%s: %w", oidcField, err)
		}
		return exchange(ctx, api, base, oidc.Organization, saToken, p.now)
	}
	return credcache.New(login, credcache.WithClock(p.now)), oidcField, nil
}

// cloudURL is Pulumi Cloud's API below which /api/oauth/token is: the ESC API URL without
// its /api/esc.
func cloudURL(escURL string) string {
	return strings.TrimSuffix(strings.TrimSuffix(escURL, "/"), "/api/esc")
}

// exchange trades a ServiceAccount token for an organization token of org (POST
// /api/oauth/token, as Pulumi Cloud's OAuth token exchange reference describes it).
func exchange(ctx context.Context, api *restclient.Client, base, org, saToken string, now func() time.Time) (credcache.Token, error) {
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	exchangeAPI := *api
	exchangeAPI.BaseURL = base
	body := map[string]string{"audience": "urn:pulumi:org:" + org, "grant_type": grantTokenExchange,
		"subject_token_type": subjectIDToken, "requested_token_type": organizationToken, "subject_token": saToken}
	if _, err := exchangeAPI.Do(ctx, restclient.Request{Method: http.MethodPost, Path: "/api/oauth/token", Body: body}, &out); err != nil {
		if restclient.Status(err) == http.StatusUnauthorized || restclient.Status(err) == http.StatusForbidden {
			err = fmt.Errorf("%w (is the cluster registered as an OIDC issuer of organization %s, with a policy that admits this ServiceAccount?)", err, org)
		}
		return credcache.Token{}, fmt.Errorf("exchanging the ServiceAccount token for a token of organization %s: %w", org, err)
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return credcache.Token{}, fmt.Errorf("exchanging the ServiceAccount token for a token of organization %s: the answer holds no token or no expires_in", org)
	}
	return credcache.Token{Value: out.AccessToken, Expiry: now().Add(time.Duration(out.ExpiresIn) * time.Second)}, nil
}
