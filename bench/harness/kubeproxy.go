package harness

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
)

// kubeProxy is a reverse proxy on loopback in front of the API server, serving TLS and
// HTTP/2 as an API server does, so that an operator's client multiplexes its requests on one
// connection as it would in a cluster (over plain HTTP/1.1 each concurrent request beyond
// the client's 25 idle connections dialled a new one). The operator under test talks to it
// without credentials; the proxy forwards with the control plane's admin credentials and
// counts every request by verb and resource, so the counts are the API server's view,
// whatever operator runs.
type kubeProxy struct {
	URL string
	// CAData is the PEM certificate the proxy serves, for clients to trust.
	CAData []byte
	server *httptest.Server

	mu     sync.Mutex
	counts map[apiRequest]int
}

// apiRequest is what the proxy counts a request under.
type apiRequest struct {
	Verb     string // get, list, watch, create, update, patch, delete, deletecollection
	Resource string // e.g. secrets, externalsecrets/status
}

func startKubeProxy(cfg *rest.Config) (*kubeProxy, error) {
	upstream, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("API server address %q: %w", cfg.Host, err)
	}
	transport, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("API server transport: %w", err)
	}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.Transport = transport
	proxy.FlushInterval = -1 // watches stream
	// An API server that is down (the soak restarts it) or a client that went away: drop
	// the connection, as a client talking to the API server itself would see it, instead
	// of answering 502 and logging.
	proxy.ErrorHandler = func(http.ResponseWriter, *http.Request, error) { panic(http.ErrAbortHandler) }
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	p := &kubeProxy{counts: map[apiRequest]int{}}
	p.server = httptest.NewUnstartedServer(p.count(proxy)) // on 127.0.0.1
	p.server.EnableHTTP2 = true
	p.server.Config.ReadHeaderTimeout = 10 * time.Second
	p.server.Config.ErrorLog = log.New(io.Discard, "", 0)
	p.server.StartTLS()
	p.URL = p.server.URL
	p.CAData = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.server.Certificate().Raw})
	return p, nil
}

// Config is a client configuration of the proxy, without credentials.
func (p *kubeProxy) Config() *rest.Config {
	return &rest.Config{Host: p.URL, TLSClientConfig: rest.TLSClientConfig{CAData: p.CAData}}
}

// Client is an HTTP client that trusts the proxy.
func (p *kubeProxy) Client() *http.Client { return p.server.Client() }

func (p *kubeProxy) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if req, ok := classify(r.Method, r.URL); ok {
			p.mu.Lock()
			p.counts[req]++
			p.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// Counts returns a copy of the counters.
func (p *kubeProxy) Counts() map[apiRequest]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

// Reset sets every counter to zero.
func (p *kubeProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[apiRequest]int{}
}

// waitQuiet waits until no request other than a watch or a list has reached the proxy for
// quiet, or until limit has passed.
func (p *kubeProxy) waitQuiet(ctx context.Context, quiet, limit time.Duration) error {
	return p.waitQuietExcept(ctx, quiet, limit, "")
}

// waitQuietExcept is waitQuiet not counting requests of the resource ignored either (e.g.
// "leases", which sharded replicas renew all the time).
func (p *kubeProxy) waitQuietExcept(ctx context.Context, quiet, limit time.Duration, ignored string) error {
	requests := func() int {
		n := 0
		for r, c := range p.Counts() {
			if r.Verb != "watch" && r.Verb != "list" && r.Resource != ignored {
				n += c
			}
		}
		return n
	}
	deadline := time.Now().Add(limit)
	last, since := requests(), time.Now()
	for time.Since(since) < quiet && time.Now().Before(deadline) {
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
		if n := requests(); n != last {
			last, since = n, time.Now()
		}
	}
	return nil
}

// Stop drops every connection, watches included (Close alone waits for them), and stops.
func (p *kubeProxy) Stop() {
	p.server.CloseClientConnections()
	p.server.Close()
}

// classify derives verb and resource from a request the way the API server's request info
// does, for the resource paths /api/v1/... and /apis/GROUP/VERSION/...; discovery and other
// non-resource paths are not counted.
func classify(method string, u *url.URL) (apiRequest, bool) {
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		parts = parts[3:]
	default:
		return apiRequest{}, false
	}
	if len(parts) >= 2 && parts[0] == "namespaces" {
		if len(parts) == 2 {
			// The namespace object itself.
			parts = []string{"namespaces", parts[1]}
		} else {
			parts = parts[2:]
		}
	}
	resource := parts[0]
	named := len(parts) >= 2
	if len(parts) >= 3 {
		resource += "/" + parts[2]
	}
	var verb string
	switch method {
	case http.MethodGet:
		switch {
		case u.Query().Get("watch") == "true" || u.Query().Get("watch") == "1":
			verb = "watch"
		case named:
			verb = "get"
		default:
			verb = "list"
		}
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = "delete"
		if !named {
			verb = "deletecollection"
		}
	default:
		verb = strings.ToLower(method)
	}
	return apiRequest{Verb: verb, Resource: resource}, true
}

// sortedRequests lists counters by resource, then verb.
func sortedRequests(counts map[apiRequest]int) []apiRequest {
	return slices.SortedFunc(maps.Keys(counts), func(a, b apiRequest) int {
		if c := strings.Compare(a.Resource, b.Resource); c != 0 {
			return c
		}
		return strings.Compare(a.Verb, b.Verb)
	})
}
