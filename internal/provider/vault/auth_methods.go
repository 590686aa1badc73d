package vault

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// Defaults of External Secrets Operator for auth methods' mount paths and requested
// ServiceAccount tokens.
const (
	defaultAppRolePath      = "approle"
	defaultKubernetesPath   = "kubernetes"
	defaultJWTPath          = "jwt"
	defaultUserPassPath     = "userpass"
	defaultLDAPPath         = "ldap"
	defaultCertPath         = "cert"
	defaultTokenSeconds     = int64(600)
	defaultJWTAudience      = "vault"
	serviceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	authField               = specField + ".auth"
)

// authEnv is what an auth method needs to log in: the store, the Kubernetes client that
// reads its Secrets and requests its tokens, the namespace it acts for, and the transport.
type authEnv struct {
	store     esv1.GenericStore
	kube      client.Client
	namespace string
	transport *transport
	// loginNamespace is the Vault namespace logins go to (auth.namespace, else the store's).
	loginNamespace string
	// field is the path of the store's auth block in messages, e.g. spec.provider.vault.auth.
	field string
}

func (e *authEnv) secret(ctx context.Context, sel esv1.SecretKeySelector, field string) (string, error) {
	v, err := provider.SecretKeyValue(ctx, e.kube, e.store, e.namespace, sel, field)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(v)), nil
}

// serviceAccountToken requests a token for the ServiceAccount sel names.
func (e *authEnv) serviceAccountToken(ctx context.Context, sel esv1.ServiceAccountSelector, audiences []string,
	seconds int64, field string) (string, error) {
	sa, err := provider.ServiceAccount(ctx, e.kube, e.store, e.namespace, sel, field)
	if err != nil {
		return "", err
	}
	token, _, err := provider.ServiceAccountToken(ctx, e.kube, sa, audiences, seconds)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return token, nil
}

func (e *authEnv) login(path string, body func(ctx context.Context) (map[string]any, error)) login {
	return func(ctx context.Context) (*authResponse, error) {
		b, err := body(ctx)
		if err != nil {
			return nil, err
		}
		return loginAt(ctx, e.transport, e.loginNamespace, path, b)
	}
}

// newTokenSource returns the token source of the auth method the store sets. A static
// token is read here; methods that log in read their credentials at each login.
func newTokenSource(ctx context.Context, auth *esv1.VaultAuth, env *authEnv) (*tokenSource, error) {
	var l login
	switch {
	case auth == nil:
		return nil, errors.New(env.field + ": required: set one auth method")
	case auth.TokenSecretRef != nil:
		token, err := env.secret(ctx, *auth.TokenSecretRef, env.field+".tokenSecretRef")
		if err != nil {
			return nil, err
		}
		return staticToken(token), nil
	case auth.AppRole != nil:
		l = appRoleLogin(auth.AppRole, env)
	case auth.Kubernetes != nil:
		l = kubernetesLogin(auth.Kubernetes, env)
	case auth.Jwt != nil:
		l = jwtLogin(auth.Jwt, env)
	case auth.UserPass != nil:
		l = passwordLogin(orDefault(auth.UserPass.Path, defaultUserPassPath), auth.UserPass.Username,
			auth.UserPass.SecretRef, env.field+".userPass.secretRef", env)
	case auth.Ldap != nil:
		l = passwordLogin(orDefault(auth.Ldap.Path, defaultLDAPPath), auth.Ldap.Username,
			auth.Ldap.SecretRef, env.field+".ldap.secretRef", env)
	case auth.Cert != nil:
		// The certificate itself is presented by the transport's TLS configuration.
		role := auth.Cert.VaultRole
		l = env.login("auth/"+mountPath(auth.Cert.Path, defaultCertPath)+"/login", func(context.Context) (map[string]any, error) {
			return map[string]any{"name": role}, nil
		})
	default:
		return nil, errors.New(env.field + ": no auth method that Ferry supports is set")
	}
	return &tokenSource{login: l, renew: renewSelf(env.transport, env.loginNamespace), now: timeNow,
		reloginAfter403: defaultReloginAfter403}, nil
}

func appRoleLogin(cfg *esv1.VaultAppRole, env *authEnv) login {
	field := env.field + ".appRole"
	path := "auth/" + mountPath(cfg.Path, defaultAppRolePath) + "/login"
	return env.login(path, func(ctx context.Context) (map[string]any, error) {
		roleID := cfg.RoleID
		if cfg.RoleRef != nil {
			var err error
			if roleID, err = env.secret(ctx, *cfg.RoleRef, field+".roleRef"); err != nil {
				return nil, err
			}
		}
		secretID, err := env.secret(ctx, cfg.SecretRef, field+".secretRef")
		if err != nil {
			return nil, err
		}
		return map[string]any{"role_id": roleID, "secret_id": secretID}, nil
	})
}

func kubernetesLogin(cfg *esv1.VaultKubernetesAuth, env *authEnv) login {
	field := env.field + ".kubernetes"
	path := "auth/" + mountPath(cfg.Path, defaultKubernetesPath) + "/login"
	return env.login(path, func(ctx context.Context) (map[string]any, error) {
		var jwt string
		var err error
		switch {
		case cfg.ServiceAccountRef != nil:
			// Without audiences the API server's own applies, which is what Vault's
			// TokenReview expects of a role that names no audience.
			jwt, err = env.serviceAccountToken(ctx, *cfg.ServiceAccountRef, cfg.ServiceAccountRef.Audiences,
				defaultTokenSeconds, field+".serviceAccountRef")
		case cfg.SecretRef != nil:
			jwt, err = env.secret(ctx, *cfg.SecretRef, field+".secretRef")
		default:
			jwt, err = ownServiceAccountToken(env.store, field)
		}
		if err != nil {
			return nil, err
		}
		return map[string]any{"role": cfg.Role, "jwt": jwt}, nil
	})
}

// ownServiceAccountToken is Ferry's own token, which External Secrets Operator uses when
// Kubernetes auth names no token. Only a ClusterSecretStore may: a namespaced store would
// otherwise log in as the operator.
func ownServiceAccountToken(store esv1.GenericStore, field string) (string, error) {
	if store.GetKind() != esv1.ClusterSecretStoreKind {
		return "", fmt.Errorf("%s: set serviceAccountRef or secretRef; only a ClusterSecretStore may log in with Ferry's own ServiceAccount", field)
	}
	raw, err := os.ReadFile(serviceAccountTokenFile)
	if err != nil {
		return "", fmt.Errorf("%s: no serviceAccountRef or secretRef, and Ferry's own ServiceAccount token cannot be read: %w", field, err)
	}
	return strings.TrimSpace(string(raw)), nil
}

func jwtLogin(cfg *esv1.VaultJwtAuth, env *authEnv) login {
	field := env.field + ".jwt"
	path := "auth/" + mountPath(cfg.Path, defaultJWTPath) + "/login"
	return env.login(path, func(ctx context.Context) (map[string]any, error) {
		var jwt string
		var err error
		switch sat := cfg.KubernetesServiceAccountToken; {
		case sat != nil:
			audiences := sat.Audiences
			if len(audiences) == 0 {
				audiences = sat.ServiceAccountRef.Audiences
			}
			if len(audiences) == 0 {
				audiences = []string{defaultJWTAudience}
			}
			seconds := defaultTokenSeconds
			if sat.ExpirationSeconds != nil {
				seconds = *sat.ExpirationSeconds
			}
			jwt, err = env.serviceAccountToken(ctx, sat.ServiceAccountRef, audiences, seconds,
				field+".kubernetesServiceAccountToken.serviceAccountRef")
		case cfg.SecretRef != nil:
			jwt, err = env.secret(ctx, *cfg.SecretRef, field+".secretRef")
		default:
			err = fmt.Errorf("%s: set secretRef or kubernetesServiceAccountToken", field)
		}
		if err != nil {
			return nil, err
		}
		return map[string]any{"role": cfg.Role, "jwt": jwt}, nil
	})
}

// passwordLogin logs in to userpass or LDAP, which share their API.
func passwordLogin(mount, username string, sel esv1.SecretKeySelector, field string, env *authEnv) login {
	path := "auth/" + strings.Trim(mount, "/") + "/login/" + username
	return env.login(path, func(ctx context.Context) (map[string]any, error) {
		password, err := env.secret(ctx, sel, field)
		if err != nil {
			return nil, err
		}
		return map[string]any{"password": password}, nil
	})
}

func mountPath(path, fallback string) string {
	return strings.Trim(orDefault(path, fallback), "/")
}

func orDefault(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}
