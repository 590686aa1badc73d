package kubernetes

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/transport"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

const specField = "spec.provider.kubernetes"

// Defaults of External Secrets Operator.
const (
	// localServer is the server.url that means the cluster Ferry runs in.
	localServer            = "kubernetes.default"
	defaultRemoteNamespace = "default"
	// tokenSeconds is the lifetime of the ServiceAccount tokens the client requests; it
	// requests the next one a minute before the current one expires.
	tokenSeconds     = int64(3600)
	tokenEarlyExpiry = time.Minute
)

// Provider builds clients for spec.provider.kubernetes. Build it with New.
type Provider struct {
	local *rest.Config
}

// Option configures a Provider.
type Option func(*Provider)

// WithLocalCluster names the cluster Ferry runs in, which a store whose server.url is empty
// or kubernetes.default reads from. Only its address and CA are used, never its
// credentials. Without it, the in-cluster configuration is used.
func WithLocalCluster(cfg *rest.Config) Option {
	return func(p *Provider) { p.local = cfg }
}

// New returns the Kubernetes provider.
func New(opts ...Option) provider.Provider {
	p := &Provider{}
	for _, opt := range opts {
		opt(p)
	}
	return p
}

// Name returns "kubernetes", the provider's key in spec.provider.
func (*Provider) Name() string { return "kubernetes" }

// Capabilities returns ReadWrite: Secrets can be read and pushed to.
func (*Provider) Capabilities() esv1.SecretStoreCapabilities { return esv1.SecretStoreReadWrite }

// NewClient validates the store, reads the credentials it names (through kube, for
// objects in namespace) and returns a client of the remote namespace. A ServiceAccount
// token is requested on the first call and again shortly before it expires.
func (p *Provider) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	if err := p.ValidateStore(store); err != nil {
		return nil, err
	}
	spec := store.GetSpec().Provider.Kubernetes
	cfg, err := p.restConfig(ctx, spec, store, kube, namespace)
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 50, 100
	cfg.Timeout = 60 * time.Second
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: building the API client: %w", specField, err)
	}
	clientset, err := kubernetes.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("%s: building the API client: %w", specField, err)
	}
	remote := spec.RemoteNamespace
	if remote == "" {
		remote = defaultRemoteNamespace
	}
	return &secretsClient{
		secrets:   clientset.CoreV1().Secrets(remote),
		reviews:   clientset.AuthorizationV1().SelfSubjectAccessReviews(),
		namespace: remote,
		http:      httpClient,
		secretsIn: func(namespace string) secretsAPI {
			return clientset.CoreV1().Secrets(namespace)
		},
		clusterStore: store.GetKind() == esv1.ClusterSecretStoreKind,
	}, nil
}

// restConfig builds the configuration of the remote API server: a kubeconfig from authRef,
// or server plus auth.
func (p *Provider) restConfig(ctx context.Context, spec *esv1.KubernetesProvider, store esv1.GenericStore,
	kube client.Client, namespace string) (*rest.Config, error) {
	if spec.AuthRef != nil {
		raw, err := provider.SecretKeyValue(ctx, kube, store, namespace, *spec.AuthRef, specField+".authRef")
		if err != nil {
			return nil, err
		}
		cfg, err := clientcmd.RESTConfigFromKubeConfig(raw)
		if err != nil {
			return nil, fmt.Errorf("%s.authRef: the Secret's key is not a usable kubeconfig: %w", specField, err)
		}
		if err := selfContained(cfg); err != nil {
			return nil, fmt.Errorf("%s.authRef: %w", specField, err)
		}
		return cfg, nil
	}
	cfg, err := p.server(ctx, spec, store, kube, namespace)
	if err != nil {
		return nil, err
	}
	auth := spec.Auth
	const field = specField + ".auth"
	switch {
	case auth.Token != nil:
		token, err := provider.SecretKeyValue(ctx, kube, store, namespace, auth.Token.BearerToken, field+".token.bearerToken")
		if err != nil {
			return nil, err
		}
		cfg.BearerToken = strings.TrimSpace(string(token))
	case auth.Cert != nil:
		if cfg.CertData, err = provider.SecretKeyValue(ctx, kube, store, namespace, auth.Cert.ClientCert, field+".cert.clientCert"); err != nil {
			return nil, err
		}
		if cfg.KeyData, err = provider.SecretKeyValue(ctx, kube, store, namespace, auth.Cert.ClientKey, field+".cert.clientKey"); err != nil {
			return nil, err
		}
	case auth.ServiceAccount != nil:
		sa := *auth.ServiceAccount
		tokens := oauth2.ReuseTokenSourceWithExpiry(nil, &serviceAccountTokens{
			kube: kube, store: store, namespace: namespace, ref: sa,
		}, tokenEarlyExpiry)
		cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
			return transport.TokenSourceWrapTransport(tokens)(rt)
		}
	}
	return cfg, nil
}

// selfContained refuses a kubeconfig that would make Ferry run a program (exec, auth
// provider plugins) or read its own files (token, certificate or CA files, such as its own
// ServiceAccount token): a store's author must not borrow what Ferry's pod holds.
func selfContained(cfg *rest.Config) error {
	switch {
	case cfg.ExecProvider != nil:
		return errors.New("the kubeconfig runs a command (exec), which Ferry refuses")
	case cfg.AuthProvider != nil:
		return errors.New("the kubeconfig uses an auth provider plugin, which Ferry refuses")
	case cfg.BearerTokenFile != "" || cfg.CertFile != "" || cfg.KeyFile != "" || cfg.CAFile != "":
		return errors.New("the kubeconfig names files; inline the token, certificates and CA instead")
	}
	return nil
}

// server returns the address and CA of the API server, with no credentials yet.
func (p *Provider) server(ctx context.Context, spec *esv1.KubernetesProvider, store esv1.GenericStore,
	kube client.Client, namespace string) (*rest.Config, error) {
	cfg := &rest.Config{Host: spec.Server.URL}
	if spec.Server.URL == "" || spec.Server.URL == localServer {
		local := p.local
		if local == nil {
			var err error
			if local, err = rest.InClusterConfig(); err != nil {
				return nil, fmt.Errorf("%s.server.url: the cluster Ferry runs in is unknown here; set the API server's URL: %w", specField, err)
			}
		}
		cfg.Host = local.Host
		cfg.APIPath = local.APIPath
		cfg.TLSClientConfig = rest.TLSClientConfig{
			CAData: local.CAData, CAFile: local.CAFile, ServerName: local.ServerName,
		}
	}
	ca, err := caPEM(ctx, spec, store, kube, namespace)
	if err != nil {
		return nil, err
	}
	if ca != nil {
		cfg.CAData, cfg.CAFile = ca, ""
	}
	return cfg, nil
}

// caPEM returns the store's CA certificates as PEM, or nil when it names none.
func caPEM(ctx context.Context, spec *esv1.KubernetesProvider, store esv1.GenericStore, kube client.Client, namespace string) ([]byte, error) {
	const field = specField + ".server"
	pem := append([]byte(nil), spec.Server.CABundle...)
	if ca := spec.Server.CAProvider; ca != nil {
		extra, err := provider.CAProviderPEM(ctx, kube, store, namespace, ca, field+".caProvider")
		if err != nil {
			return nil, err
		}
		pem = append(append(pem, '\n'), extra...)
	}
	if len(pem) == 0 {
		return nil, nil
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: caBundle and caProvider hold no PEM certificate", field)
	}
	return pem, nil
}

// serviceAccountTokens requests tokens for the store's ServiceAccount.
type serviceAccountTokens struct {
	kube      client.Client
	store     esv1.GenericStore
	namespace string
	ref       esv1.ServiceAccountSelector
}

// Token requests a new token; oauth2.ReuseTokenSource calls it only when the last one
// nears its expiry.
func (s *serviceAccountTokens) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const field = specField + ".auth.serviceAccount"
	sa, err := provider.ServiceAccount(ctx, s.kube, s.store, s.namespace, s.ref, field)
	if err != nil {
		return nil, err
	}
	token, expiry, err := provider.ServiceAccountToken(ctx, s.kube, sa, s.ref.Audiences, tokenSeconds)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if token == "" {
		return nil, errors.New(field + ": the TokenRequest returned no token")
	}
	return &oauth2.Token{AccessToken: token, TokenType: "Bearer", Expiry: expiry.Time}, nil
}
