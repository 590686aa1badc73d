package gcpsm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/identity"
)

// Provider builds Secret Manager clients. The zero value talks to Google's endpoints.
type Provider struct {
	// clientOptions, when set, replace the endpoint and credentials of every client (tests
	// point clients at an in-process server with them).
	clientOptions []option.ClientOption
	// endpoints are those of the workload identity exchange.
	endpoints Endpoints
}

// Option configures a Provider.
type Option func(*Provider)

// WithClientOptions makes every client use opts instead of the store's endpoint and
// credentials. It is meant for tests against an in-process server.
func WithClientOptions(opts ...option.ClientOption) Option {
	return func(p *Provider) { p.clientOptions = opts }
}

// WithEndpoints replaces the STS and IAM Credentials endpoints of workload identity.
func WithEndpoints(e Endpoints) Option {
	return func(p *Provider) { p.endpoints = e }
}

// New returns the gcpsm provider.
func New(opts ...Option) Provider {
	p := Provider{endpoints: defaultEndpoints()}
	for _, o := range opts {
		o(&p)
	}
	return p
}

var (
	_ provider.Provider = Provider{}
	_ provider.Writer   = (*Client)(nil)
)

// Name is the provider's key in spec.provider.
func (Provider) Name() string { return "gcpsm" }

// Capabilities says the provider reads and writes.
func (Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient builds a Secret Manager client with the store's credentials.
func (p Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	gcp := store.GetSpec().Provider.GCPSM
	project := gcp.ProjectID
	opts, keyProject, err := p.authOptions(ctx, store, kube, namespace)
	if err != nil {
		return nil, err
	}
	if project == "" {
		project = keyProject
	}
	if project == "" {
		return nil, errors.New(field + ".projectID: required, and the service account key names no project")
	}
	if gcp.Location != "" {
		opts = append(opts, option.WithEndpoint(fmt.Sprintf("secretmanager.%s.rep.googleapis.com:443", gcp.Location)))
	}
	if p.clientOptions != nil {
		opts = p.clientOptions
	}
	sm, err := secretmanager.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating the Secret Manager client: %w", err)
	}
	return &Client{sm: sm, project: project, location: gcp.Location}, nil
}

// authOptions returns the client options of the store's auth method, and the project the
// service account key names, if any.
func (p Provider) authOptions(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) ([]option.ClientOption, string, error) {
	a := StoreAccess(store)
	switch gcp := a.Spec; {
	case gcp.Auth.SecretRef != nil:
		key, project, err := serviceAccountKey(ctx, a, kube, namespace)
		if err != nil {
			return nil, "", err
		}
		return []option.ClientOption{option.WithAuthCredentialsJSON(option.ServiceAccount, key)}, project, nil
	case gcp.Auth.WorkloadIdentity != nil || gcp.Auth.WorkloadIdentityFederation != nil:
		ts, err := p.exchangedTokenSource(ctx, a, kube, namespace)
		if err != nil {
			return nil, "", err
		}
		return []option.ClientOption{option.WithTokenSource(ts)}, "", nil
	default:
		return nil, "", nil
	}
}

// exchangedTokenSource is the token source of the auth that exchanges a credential at
// Google's STS: GKE workload identity, or workload identity federation.
func (p Provider) exchangedTokenSource(ctx context.Context, a Access, kube client.Client, namespace string) (oauth2.TokenSource, error) {
	if a.Spec.Auth.WorkloadIdentity != nil {
		return p.workloadIdentityTokenSource(ctx, a, kube, namespace)
	}
	return p.federationTokenSource(ctx, a, kube, namespace)
}

// serviceAccountKey reads the service account key of the store's auth.secretRef and the
// project it names. A key of another type is refused without being quoted.
func serviceAccountKey(ctx context.Context, a Access, kube client.Client, namespace string) ([]byte, string, error) {
	key, err := provider.SecretKeyValue(ctx, kube, a.For, namespace, a.Spec.Auth.SecretRef.SecretAccessKey,
		field+".auth.secretRef.secretAccessKeySecretRef")
	if err != nil {
		return nil, "", err
	}
	var parsed struct {
		Type      string `json:"type"`
		ProjectID string `json:"project_id"`
	}
	if err := json.Unmarshal(key, &parsed); err != nil || parsed.Type != "service_account" {
		return nil, "", errors.New(field + ".auth.secretRef.secretAccessKeySecretRef: the key is not a service account key (JSON with type service_account)")
	}
	return key, parsed.ProjectID, nil
}

// Access is a Google identity as written: a store's spec.provider.gcpsm (StoreAccess), or a
// generator's auth in the same form.
type Access = identity.Google

// StoreAccess is the Access a store's spec.provider.gcpsm describes.
func StoreAccess(store esv1.GenericStore) Access {
	return Access{For: store, Spec: store.GetSpec().Provider.GCPSM}
}

// TokenSource validates an identity as written and returns a source of Google access tokens
// (scope cloud-platform) of its auth, built by the code every Secret Manager store uses: a
// service account key (signed at the key's token_uri), GKE workload identity, workload
// identity federation, or, with no
// auth, Application Default Credentials. Generators that need a Google token
// (GCRAccessToken) call it; errors name the fields under spec.provider.gcpsm.
func (p Provider) TokenSource(ctx context.Context, a Access, kube client.Client, namespace string) (oauth2.TokenSource, error) {
	if err := p.ValidateAccess(a); err != nil {
		return nil, err
	}
	gcp := a.Spec
	if p.endpoints.HTTPClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, p.endpoints.HTTPClient)
	}
	switch {
	case gcp.Auth.SecretRef != nil:
		key, _, err := serviceAccountKey(ctx, a, kube, namespace)
		if err != nil {
			return nil, err
		}
		creds, err := google.CredentialsFromJSONWithType(ctx, key, google.ServiceAccount, cloudPlatformScope)
		if err != nil {
			return nil, errors.New(field + ".auth.secretRef.secretAccessKeySecretRef: the service account key cannot be read")
		}
		return creds.TokenSource, nil
	case gcp.Auth.WorkloadIdentity != nil || gcp.Auth.WorkloadIdentityFederation != nil:
		return p.exchangedTokenSource(ctx, a, kube, namespace)
	default:
		creds, err := google.FindDefaultCredentials(ctx, cloudPlatformScope)
		if err != nil {
			return nil, fmt.Errorf("%s.auth: not set, and Ferry's pod has no Application Default Credentials: %w", field, err)
		}
		return creds.TokenSource, nil
	}
}
