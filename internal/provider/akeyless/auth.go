package akeyless

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/redact"
)

// podTokenFile is the token of Ferry's own pod, which k8s logins present when the store
// names no ServiceAccount and no Secret (as ESO).
const podTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// tokenRequestSeconds is the life asked of a ServiceAccount token made for one login, as
// ESO asks.
const tokenRequestSeconds = 600

// The access types of authSecretRef.secretRef.accessType.
const (
	accessAPIKey    = "api_key"
	accessAccessKey = "access_key"
	accessK8s       = "k8s"
	accessAWSIAM    = "aws_iam"
	accessAzureAD   = "azure_ad"
	accessGCP       = "gcp"
)

// jwtSource returns the ServiceAccount token a k8s login presents.
type jwtSource func(ctx context.Context) (string, error)

// loginFor reads the store's credentials now and returns the login that exchanges them for
// a token at /auth, made on first use and again before the token expires.
func (p *Provider) loginFor(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string, a *api) (credcache.Login, error) {
	auth := store.GetSpec().Provider.Akeyless.AuthSecretRef
	if k := auth.KubernetesAuth; k != nil {
		jwt := p.kubernetesJWT(store, kube, namespace, k)
		return a.k8sLogin(strings.TrimSpace(k.AccessID), strings.TrimSpace(k.K8sConfName), jwt), nil
	}
	if auth.SecretRef == nil || auth.SecretRef.AccessID == nil || auth.SecretRef.AccessType == nil {
		return nil, fmt.Errorf("%s: set kubernetesAuth, or secretRef with accessID and accessType", authField)
	}
	ref := auth.SecretRef
	// The access type names a method and the k8s config name is an identifier: read as
	// settings, so that redaction does not blank words like "api_key" in every message.
	read := func(sel *esv1.SecretKeySelector, name string, credential bool) (string, error) {
		if sel == nil || sel.Name == "" {
			return "", nil
		}
		readKey := provider.SecretKeySetting
		if credential {
			readKey = provider.SecretKeyValue
		}
		v, err := readKey(ctx, kube, store, namespace, *sel, authField+".secretRef."+name)
		return strings.TrimSpace(string(v)), err
	}
	accessID, err := read(ref.AccessID, "accessID", true)
	if err != nil {
		return nil, err
	}
	accessType, err := read(ref.AccessType, "accessType", false)
	if err != nil {
		return nil, err
	}
	param, err := read(ref.AccessTypeParam, "accessTypeParam", false)
	if err != nil {
		return nil, err
	}
	if accessID == "" {
		return nil, fmt.Errorf("%s.secretRef.accessID: Secret %s key %q is empty", authField, ref.AccessID.Name, ref.AccessID.Key)
	}
	switch {
	case accessType == accessAPIKey || accessType == accessAccessKey:
		if param == "" {
			return nil, fmt.Errorf("%s.secretRef.accessTypeParam: access type %s needs the access key here", authField, accessType)
		}
		redact.RememberCredentialString(param)
		return a.accessKeyLogin(accessID, param), nil
	case accessType == accessK8s:
		if param == "" {
			return nil, fmt.Errorf("%s.secretRef.accessTypeParam: access type k8s needs the name of the Kubernetes auth config here", authField)
		}
		return a.k8sLogin(accessID, param, p.podJWT), nil
	case accessType == accessAzureAD && auth.ServiceAccountRef != nil:
		workload, err := p.azureWorkloadIdentity(ctx, store, kube, namespace, *auth.ServiceAccountRef, param)
		if err != nil {
			return nil, err
		}
		return a.cloudLogin(accessID, accessType, param, &cloudIdentity{azureWorkload: workload}), nil
	case accessType == accessAWSIAM || accessType == accessAzureAD || accessType == accessGCP:
		return a.cloudLogin(accessID, accessType, param, p.cloudIdentity()), nil
	}
	return nil, fmt.Errorf("%s.secretRef.accessType: %q is not an access type of the Akeyless provider; "+
		"use api_key, access_key, k8s, aws_iam, azure_ad or gcp", authField, accessType)
}

// kubernetesJWT returns where kubernetesAuth's token comes from: a token requested for its
// ServiceAccount at each login, the key of its Secret, or Ferry's own pod token.
func (p *Provider) kubernetesJWT(store esv1.GenericStore, kube client.Client, namespace string, k *esv1.AkeylessKubernetesAuth) jwtSource {
	const field = authField + ".kubernetesAuth"
	switch {
	case k.ServiceAccountRef != nil:
		ref := *k.ServiceAccountRef
		return func(ctx context.Context) (string, error) {
			sa, err := provider.ServiceAccount(ctx, kube, store, namespace, ref, field+".serviceAccountRef")
			if err != nil {
				return "", err
			}
			token, _, err := provider.ServiceAccountToken(ctx, kube, sa, ref.Audiences, tokenRequestSeconds)
			return token, err
		}
	case k.SecretRef != nil:
		sel := *k.SecretRef
		if sel.Key == "" {
			sel.Key = "token"
		}
		return func(ctx context.Context) (string, error) {
			raw, err := provider.SecretKeyValue(ctx, kube, store, namespace, sel, field+".secretRef")
			return strings.TrimSpace(string(raw)), err
		}
	}
	return p.podJWT
}

// podJWT reads Ferry's own pod token, again at each login so a rotated projected token is
// picked up.
func (p *Provider) podJWT(context.Context) (string, error) {
	path := p.tokenFile
	if path == "" {
		path = podTokenFile
	}
	raw, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		return "", fmt.Errorf("%s: reading Ferry's ServiceAccount token for a k8s login: %w", authField, err)
	}
	token := strings.TrimSpace(string(raw))
	redact.RememberCredentialString(token)
	return token, nil
}

// accessKeyLogin logs in with an access id and key.
func (a *api) accessKeyLogin(accessID, accessKey string) credcache.Login {
	return func(ctx context.Context) (credcache.Token, error) {
		return a.login(ctx, map[string]string{"access-type": accessAccessKey, "access-id": accessID, "access-key": accessKey})
	}
}

// k8sLogin logs in with a ServiceAccount token, base64-encoded as /auth takes it, and the
// name of the gateway's Kubernetes auth config.
func (a *api) k8sLogin(accessID, confName string, jwt jwtSource) credcache.Login {
	return func(ctx context.Context) (credcache.Token, error) {
		token, err := jwt(ctx)
		if err != nil {
			return credcache.Token{}, err
		}
		return a.login(ctx, map[string]string{"access-type": accessK8s, "access-id": accessID,
			"k8s-service-account-token": base64.StdEncoding.EncodeToString([]byte(token)), "k8s-auth-config-name": confName})
	}
}

// cloudLogin logs in with the cloud identity of Ferry's pod, made again at each login
// (the signed request and the metadata tokens are short-lived).
func (a *api) cloudLogin(accessID, accessType, param string, id *cloudIdentity) credcache.Login {
	return func(ctx context.Context) (credcache.Token, error) {
		cloudID, err := id.cloudID(ctx, accessType, param)
		if err != nil {
			return credcache.Token{}, fmt.Errorf("%s: logging in to akeyless as %s: %w", authField, accessID, err)
		}
		return a.login(ctx, map[string]string{"access-type": accessType, "access-id": accessID, "cloud-id": cloudID})
	}
}

// cloudIdentity returns the maker of the store's cloud identities.
func (p *Provider) cloudIdentity() *cloudIdentity {
	return &cloudIdentity{loadAWS: p.loadAWS, azureIMDS: p.azureIMDS, gcpMetadata: p.gcpMetadata, now: p.clock, http: newMetadataClient()}
}

// login posts body to /auth and returns the token with its expiration.
func (a *api) login(ctx context.Context, body map[string]string) (credcache.Token, error) {
	var out struct {
		Token      string `json:"token"`
		Expiration string `json:"expiration"`
	}
	if err := a.do(ctx, "auth", body, &out); err != nil {
		return credcache.Token{}, fmt.Errorf("logging in to akeyless as %s: %w", body["access-id"], err)
	}
	if out.Token == "" {
		return credcache.Token{}, fmt.Errorf("logging in to akeyless as %s: the answer holds no token", body["access-id"])
	}
	redact.RememberCredentialString(out.Token)
	return credcache.Token{Value: out.Token, Expiry: tokenExpiry(out.Expiration, a.now())}, nil
}
