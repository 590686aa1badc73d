package oracle

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

const specField = "spec.provider.oracle"

// The principal types of spec.provider.oracle.principalType.
const (
	userPrincipal     = "UserPrincipal"
	instancePrincipal = "InstancePrincipal"
	workloadPrincipal = "Workload"
)

// The OCI services the provider calls.
const (
	// secretsService is the Secrets retrieval service (secret bundles).
	secretsService = "secrets"
	// vaultsService is the Vault service (secret metadata, ListSecrets).
	vaultsService = "vaults"
	// kmsService is the Key Management service, whose GetVault proves the credentials.
	kmsService = "kms"
	// authService is the auth service, which issues principals' security tokens.
	authService = "auth"
)

// Provider builds clients for spec.provider.oracle. Build it with New.
type Provider struct {
	transport restclient.Transport
	// endpoint gives the base URL of a service in a region; tests point every service at
	// their in-process server.
	endpoint func(service, region string) string
	// now is the clock requests are dated with.
	now func() time.Time
	// metadata gives the base URL of the instance metadata service; instanceHTTP reaches
	// it and the auth service.
	metadata     func() string
	instanceHTTP *http.Client
	// instance is the instance principal's session, shared by the stores that use it: the
	// identity is the node's, not a store's.
	instance *principalSessions
	// proxymux gives OKE's workload identity endpoint; serviceAccountDir holds the pod's
	// ServiceAccount token and the cluster's CA. workloads are the workload principals'
	// sessions, by ServiceAccount ("" for the pod's own).
	proxymux          func() (string, error)
	serviceAccountDir string
	workloadsMu       sync.Mutex
	workloads         map[string]*principalSessions
}

var _ provider.Provider = (*Provider)(nil)

// New returns the Oracle Cloud Infrastructure Vault provider. Tests pass
// restclient.WithHTTPClient.
func New(opts ...restclient.Option) *Provider {
	p := &Provider{transport: restclient.NewTransport(opts...), endpoint: publicEndpoint, now: time.Now,
		metadata: func() string { return instanceMetadata }, instanceHTTP: restclient.NewHTTPClient(nil, 0),
		proxymux: proxymuxEndpoint, serviceAccountDir: podServiceAccount, workloads: map[string]*principalSessions{}}
	p.instance = &principalSessions{federate: p.instanceSession, now: func() time.Time { return p.now() }}
	return p
}

// publicEndpoint is the address of a service in a region of OCI's commercial realm (oc1),
// the one the OCI SDK uses there.
func publicEndpoint(service, region string) string {
	switch service {
	case secretsService:
		return "https://secrets.vaults." + region + ".oci.oraclecloud.com"
	case vaultsService:
		return "https://vaults." + region + ".oci.oraclecloud.com"
	case authService:
		return "https://auth." + region + ".oraclecloud.com"
	default:
		return "https://kms." + region + ".oraclecloud.com"
	}
}

// Name returns "oracle", the provider's key in spec.provider.
func (*Provider) Name() string { return "oracle" }

// Capabilities returns ReadWrite: Ferry reads OCI Vault and pushes to it.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient validates the store and returns a client that signs each call as its
// principal: the workload (principalType Workload, through OKE workload identity), the
// instance (InstancePrincipal, or auth unset, as in ESO) or the user whose API key it reads
// from the store's Secrets.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Oracle
	var sign *signer
	hint := "check auth.tenancy, auth.user, the fingerprint and that the private key is the one of that fingerprint"
	switch {
	case spec.PrincipalType == workloadPrincipal:
		hint = "the workload's session token was not accepted (revoked, or the node's clock is off); the next call obtains a new one"
		sessions, err := p.workloadSessions(ctx, store, kube, namespace)
		if err != nil {
			return nil, err
		}
		sign = &signer{credentials: sessions.credentials, forget: sessions.forget, now: p.now}
	case usesInstance(spec):
		hint = "the instance's security token was not accepted (revoked, or the node's clock is off); the next call obtains a new one"
		sign = &signer{credentials: p.instance.credentials, forget: p.instance.forget, now: p.now}
	default:
		var err error
		if sign, err = p.userSigner(ctx, store, kube, namespace); err != nil {
			return nil, err
		}
	}
	hc, err := p.transport.Client(ctx, kube, store, namespace, nil, nil, specField)
	if err != nil {
		return nil, err
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	signed := &http.Client{Transport: &signingTransport{signer: sign, next: next}, Timeout: hc.Timeout}
	api := func(service string) *restclient.Client {
		return &restclient.Client{Service: "oci " + service, BaseURL: p.endpoint(service, spec.Region), HTTP: signed, Message: errorMessage}
	}
	return &Client{
		secrets: api(secretsService), vaults: api(vaultsService), kms: api(kmsService),
		vault: spec.Vault, compartment: spec.Compartment, encryptionKey: spec.EncryptionKey, refusedHint: hint,
	}, nil
}

// usesInstance says whether the store authenticates as the instance principal: ESO does
// for principalType InstancePrincipal and, whatever the type, when auth is unset.
func usesInstance(o *esv1.OracleProvider) bool {
	return o.PrincipalType == instancePrincipal || (o.PrincipalType != workloadPrincipal && o.Auth == nil)
}

// userSigner reads the user's API key and fingerprint from the store's Secrets.
func (p *Provider) userSigner(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (*signer, error) {
	spec := store.GetSpec().Provider.Oracle
	keyField := specField + ".auth.secretRef.privatekey"
	privateKey, err := provider.SecretKeyValue(ctx, kube, store, namespace, spec.Auth.SecretRef.PrivateKey, keyField)
	if err != nil {
		return nil, err
	}
	fingerprint, err := provider.SecretKeySetting(ctx, kube, store, namespace, spec.Auth.SecretRef.Fingerprint, specField+".auth.secretRef.fingerprint")
	if err != nil {
		return nil, err
	}
	sign, err := newSigner(spec.Auth.Tenancy, spec.Auth.User, string(fingerprint), privateKey, p.now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyField, err)
	}
	return sign, nil
}
