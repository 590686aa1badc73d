package infisical

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// defaultServiceAccountTokenPath is the token of Ferry's own pod, which Kubernetes auth
// presents when the store names no other file (as ESO).
const defaultServiceAccountTokenPath = "/var/run/secrets/kubernetes.io/serviceaccount/token"

type loginFunc = func(ctx context.Context) (string, time.Time, error)

// loginFor reads the store's credentials now and returns the login that exchanges them for
// an access token, made on first use and again shortly before the token expires.
func loginFor(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string, api *restclient.Client) (loginFunc, error) {
	auth := store.GetSpec().Provider.Infisical.Auth
	read := func(sel esv1.SecretKeySelector, name string) (string, error) {
		v, err := provider.SecretKeyValue(ctx, kube, store, namespace, sel, field+".auth."+name)
		return strings.TrimSpace(string(v)), err
	}
	switch {
	case auth.UniversalAuthCredentials != nil:
		id, err := read(auth.UniversalAuthCredentials.ClientID, "universalAuthCredentials.clientId")
		if err != nil {
			return nil, err
		}
		secret, err := read(auth.UniversalAuthCredentials.ClientSecret, "universalAuthCredentials.clientSecret")
		if err != nil {
			return nil, err
		}
		return login(api, "universal-auth", map[string]string{"clientId": id, "clientSecret": secret}), nil
	case auth.TokenAuthCredentials != nil:
		token, err := read(auth.TokenAuthCredentials.AccessToken, "tokenAuthCredentials.accessToken")
		if err != nil {
			return nil, err
		}
		return func(context.Context) (string, time.Time, error) { return token, time.Time{}, nil }, nil
	case auth.JWTAuthCredentials != nil:
		id, err := read(auth.JWTAuthCredentials.IdentityID, "jwtAuthCredentials.identityId")
		if err != nil {
			return nil, err
		}
		jwt, err := read(auth.JWTAuthCredentials.JWT, "jwtAuthCredentials.jwt")
		if err != nil {
			return nil, err
		}
		return login(api, "jwt-auth", map[string]string{"identityId": id, "jwt": jwt}), nil
	case auth.LDAPAuthCredentials != nil:
		return ldapLogin(api, auth.LDAPAuthCredentials, read)
	case auth.KubernetesAuthCredentials != nil:
		return kubernetesLogin(api, auth.KubernetesAuthCredentials, read)
	}
	return nil, errors.New(field + ".auth: no supported method set")
}

func ldapLogin(api *restclient.Client, creds *esv1.InfisicalLDAPAuthCredentials,
	read func(esv1.SecretKeySelector, string) (string, error)) (loginFunc, error) {
	id, err := read(creds.IdentityID, "ldapAuthCredentials.identityId")
	if err != nil {
		return nil, err
	}
	user, err := read(creds.LDAPUsername, "ldapAuthCredentials.ldapUsername")
	if err != nil {
		return nil, err
	}
	password, err := read(creds.LDAPPassword, "ldapAuthCredentials.ldapPassword")
	if err != nil {
		return nil, err
	}
	return login(api, "ldap-auth", map[string]string{"identityId": id, "username": user, "password": password}), nil
}

// kubernetesLogin presents a ServiceAccount token read from a file of Ferry's pod (the
// path the store's Secret names, or the pod's own token), read again at each login so a
// rotated projected token is picked up.
func kubernetesLogin(api *restclient.Client, creds *esv1.InfisicalKubernetesAuthCredentials,
	read func(esv1.SecretKeySelector, string) (string, error)) (loginFunc, error) {
	id, err := read(creds.IdentityID, "kubernetesAuthCredentials.identityId")
	if err != nil {
		return nil, err
	}
	tokenPath := defaultServiceAccountTokenPath
	if creds.ServiceAccountTokenPath != nil {
		if tokenPath, err = read(*creds.ServiceAccountTokenPath, "kubernetesAuthCredentials.serviceAccountTokenPath"); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context) (string, time.Time, error) {
		raw, err := os.ReadFile(filepath.Clean(tokenPath))
		if err != nil {
			return "", time.Time{}, fmt.Errorf("%s.auth.kubernetesAuthCredentials: reading the ServiceAccount token file: %w", field, err)
		}
		return postLogin(ctx, api, "kubernetes-auth", map[string]string{"identityId": id, "jwt": strings.TrimSpace(string(raw))})
	}, nil
}

// login returns the login of one machine identity auth method with a fixed body.
func login(api *restclient.Client, method string, body map[string]string) loginFunc {
	return func(ctx context.Context) (string, time.Time, error) { return postLogin(ctx, api, method, body) }
}

// postLogin logs in: POST /v1/auth/<method>/login, answered with an access token and its
// lifetime in seconds.
func postLogin(ctx context.Context, api *restclient.Client, method string, body map[string]string) (string, time.Time, error) {
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpiresIn   int64  `json:"expiresIn"`
	}
	_, err := api.Do(ctx, restclient.Request{Method: http.MethodPost, Path: "/v1/auth/" + method + "/login", Body: body}, &out)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("logging in with %s: %w", method, err)
	}
	if out.AccessToken == "" {
		return "", time.Time{}, fmt.Errorf("logging in with %s: Infisical returned no access token", method)
	}
	var expires time.Time
	if out.ExpiresIn > 0 {
		expires = time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
	}
	return out.AccessToken, expires, nil
}
