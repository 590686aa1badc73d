package operator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/webhook"
)

// Certificate modes of the webhook server.
const (
	// CertsSelf: Ferry keeps its own CA and serving certificate in a Secret and injects the CA bundle.
	CertsSelf = "self"
	// CertsExternal: certificates are mounted from CertDir (cert-manager); Ferry injects CertDir/ca.crt.
	CertsExternal = "external"
)

// WebhookOptions configure the admission and conversion webhooks.
type WebhookOptions struct {
	// Enabled serves the webhooks.
	Enabled bool
	// Host and Port the webhook server listens on.
	Host string
	Port int
	// CertMode is CertsSelf (default) or CertsExternal.
	CertMode string
	// CertDir holds tls.crt, tls.key and ca.crt in CertsExternal mode.
	CertDir string
	// SecretName holds the self-managed certificates, in the operator namespace.
	SecretName string
	// ServiceName is the Service in the operator namespace that fronts the webhook.
	ServiceName string
	// ServicePort is the Service's port.
	ServicePort int32
	// URL, when set, is how the API server reaches the webhook instead of the Service
	// (local development and tests: https://127.0.0.1:PORT).
	URL string
	// ConfigName is the ValidatingWebhookConfiguration Ferry keeps.
	ConfigName string
	// MaintainInterval is how often certificates and injected configuration are checked.
	MaintainInterval time.Duration
}

func (o *WebhookOptions) defaults() {
	if o.CertMode == "" {
		o.CertMode = CertsSelf
	}
	if o.Port == 0 {
		o.Port = 9443
	}
	if o.SecretName == "" {
		o.SecretName = "ferry-webhook-tls"
	}
	if o.ServiceName == "" {
		o.ServiceName = "ferry-webhook"
	}
	if o.ServicePort == 0 {
		o.ServicePort = 443
	}
	if o.ConfigName == "" {
		o.ConfigName = "ferry-validating-webhook"
	}
	if o.MaintainInterval == 0 {
		o.MaintainInterval = time.Minute
	}
}

// hosts are the names the serving certificate must cover.
func (o *WebhookOptions) hosts(namespace string) ([]string, error) {
	hosts := []string{
		o.ServiceName + "." + namespace + ".svc",
		o.ServiceName + "." + namespace + ".svc.cluster.local",
	}
	if o.URL != "" {
		u, err := url.Parse(o.URL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("webhook URL %q: must be https://host:port", o.URL)
		}
		host, _, err := net.SplitHostPort(u.Host)
		if err != nil {
			host = u.Host
		}
		hosts = append(hosts, host)
	}
	return hosts, nil
}

// webhookServer builds the server (TLS 1.2 or newer, every handler size- and time-limited) and, in CertsSelf mode, makes sure certificates exist
// before it starts.
func webhookServer(ctx context.Context, direct client.Client, namespace string, o *WebhookOptions) (ctrlwebhook.Server, *webhook.Certs, error) {
	o.defaults()
	switch o.CertMode {
	case CertsExternal:
		if o.CertDir == "" {
			return nil, nil, errors.New("webhook: external certificates need a certificate directory")
		}
		return webhook.LimitedServer{Server: ctrlwebhook.NewServer(ctrlwebhook.Options{Host: o.Host, Port: o.Port, CertDir: o.CertDir,
			TLSOpts: []func(*tls.Config){webhook.HardenTLS}})}, nil, nil
	case CertsSelf:
	default:
		return nil, nil, fmt.Errorf("webhook: unknown certificate mode %q (use %s or %s)", o.CertMode, CertsSelf, CertsExternal)
	}
	if namespace == "" {
		return nil, nil, errors.New("webhook: self-managed certificates need the operator namespace")
	}
	hosts, err := o.hosts(namespace)
	if err != nil {
		return nil, nil, err
	}
	certs := &webhook.Certs{Client: direct, Namespace: namespace, Name: o.SecretName, Hosts: hosts}
	if _, err := certs.Ensure(ctx); err != nil {
		return nil, nil, err
	}
	server := ctrlwebhook.NewServer(ctrlwebhook.Options{Host: o.Host, Port: o.Port,
		TLSOpts: []func(*tls.Config){webhook.HardenTLS, func(c *tls.Config) { c.GetCertificate = certs.GetCertificate }}})
	return webhook.LimitedServer{Server: server}, certs, nil
}

// addWebhooks registers the handlers and the maintainer that keeps certificates and the
// injected configuration current.
func addWebhooks(mgr manager.Manager, direct client.Client, registry *provider.Registry, namespace string,
	o *WebhookOptions, certs *webhook.Certs) error {
	if err := webhook.Register(mgr, registry); err != nil {
		return fmt.Errorf("registering webhooks: %w", err)
	}
	bundle := func() []byte {
		if certs != nil {
			return certs.CABundle()
		}
		ca, err := os.ReadFile(filepath.Join(o.CertDir, "ca.crt"))
		if err != nil {
			return nil
		}
		return ca
	}
	injector := &webhook.Injector{Client: direct, ConfigName: o.ConfigName, Bundle: bundle, Endpoint: webhook.Endpoint{
		ServiceName: o.ServiceName, ServiceNamespace: namespace, ServicePort: o.ServicePort, URL: o.URL}}
	if err := mgr.Add(&webhook.Maintainer{Certs: certs, Injector: injector, Interval: o.MaintainInterval}); err != nil {
		return err
	}
	return mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker())
}
