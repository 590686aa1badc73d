package operator

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/ferryhq/ferry/internal/changefeed"
)

// EventsOptions configure event-driven refresh (docs/events.md).
type EventsOptions struct {
	// BindAddress is where the HTTP endpoint for change reports listens; "" or "0" disables it.
	BindAddress string
	// SecretName is the Secret, in the operator namespace, whose "hmac-key" and "token"
	// authenticate reports; default DefaultEventsSecret.
	SecretName string
	// SafetyInterval is how often objects whose stores all have healthy feeds are still
	// polled (default changefeed.DefaultSafetyInterval); their own longer intervals win.
	SafetyInterval time.Duration
}

// DefaultEventsSecret names the Secret that authenticates change reports.
const DefaultEventsSecret = "ferry-events"

// credentialsTTL is how long the endpoint's credentials are cached: a rotated key takes
// effect within it.
const credentialsTTL = 30 * time.Second

// addEventsEndpoint serves change reports on opts.BindAddress for as long as the manager
// runs, on every replica; only the leader routes them (the others answer 503).
func addEventsEndpoint(mgr manager.Manager, direct client.Client, hub *changefeed.Hub, m *changefeed.Metrics,
	namespace string, opts EventsOptions) error {
	if !opts.enabled() {
		return nil
	}
	name := opts.SecretName
	if name == "" {
		name = DefaultEventsSecret
	}
	elected := mgr.Elected()
	endpoint := &changefeed.Endpoint{
		Hub: hub, Metrics: m,
		Credentials: cachedCredentials(direct, client.ObjectKey{Namespace: namespace, Name: name}),
		Ready: func() bool {
			select {
			case <-elected:
				return true
			default:
				return false
			}
		},
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/changes", endpoint)
	// On every replica: standbys answer too (503), so that the sender learns to retry.
	shutdown := 5 * time.Second
	return mgr.Add(&manager.Server{Name: "change reports", ShutdownTimeout: &shutdown,
		Server: &http.Server{Addr: opts.BindAddress, Handler: mux, ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10}})
}

// cachedCredentials reads the endpoint's Secret at most once per credentialsTTL.
func cachedCredentials(c client.Client, key client.ObjectKey) func(context.Context) (changefeed.Credentials, error) {
	var mu sync.Mutex
	var cached changefeed.Credentials
	var cachedErr error
	var read time.Time
	return func(ctx context.Context) (changefeed.Credentials, error) {
		mu.Lock()
		defer mu.Unlock()
		if !read.IsZero() && time.Since(read) < credentialsTTL {
			return cached, cachedErr
		}
		var secret corev1.Secret
		err := c.Get(ctx, key, &secret)
		switch {
		case apierrors.IsNotFound(err):
			cached, cachedErr = changefeed.Credentials{}, fmt.Errorf("the Secret %s holding the change report keys does not exist", key)
		case err != nil:
			return changefeed.Credentials{}, fmt.Errorf("reading the change report Secret %s: %w", key, err)
		default:
			cached, cachedErr = changefeed.Credentials{HMACKey: secret.Data["hmac-key"], Token: secret.Data["token"]}, nil
		}
		read = time.Now()
		return cached, cachedErr
	}
}

// enabled says whether the HTTP endpoint is served.
func (o EventsOptions) enabled() bool { return o.BindAddress != "" && o.BindAddress != "0" }
