package yandex

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/yandex-cloud/go-genproto/yandex/cloud/endpoint"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
)

// callTimeout bounds one read, with the address look-up and the login it may need.
const callTimeout = 30 * time.Second

// dialer opens TLS connections to the API endpoint service and to the services whose
// addresses it gives.
type dialer struct {
	endpoint string
	tls      *tls.Config
}

func newDialer(apiEndpoint string, caPEM []byte, field string) (*dialer, error) {
	if apiEndpoint == "" {
		apiEndpoint = DefaultAPIEndpoint
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(caPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New(field + ".caProvider.certSecretRef: the Secret's key holds no PEM certificate")
		}
		cfg.RootCAs = pool
	}
	return &dialer{endpoint: apiEndpoint, tls: cfg}, nil
}

// dial opens a connection to address (host:port). The passthrough resolver hands the
// address to the dialer as it is, as Yandex's SDK does, so that a dual-stack name is
// dialled with Go's happy eyeballs.
func (d *dialer) dial(address string) (*grpc.ClientConn, error) {
	return grpc.NewClient("passthrough:///"+address,
		grpc.WithTransportCredentials(credentials.NewTLS(d.tls)), grpc.WithUserAgent("ferry"))
}

// dialService asks the API endpoint service for the address of the service id and dials it.
func (d *dialer) dialService(ctx context.Context, id string) (*grpc.ClientConn, error) {
	conn, err := d.dial(d.endpoint)
	if err != nil {
		return nil, fmt.Errorf("connecting to the API endpoint %s: %w", d.endpoint, err)
	}
	defer func() { _ = conn.Close() }()
	ep, err := endpoint.NewApiEndpointServiceClient(conn).Get(ctx, &endpoint.GetApiEndpointRequest{ApiEndpointId: id})
	if err != nil {
		return nil, fmt.Errorf("asking the API endpoint %s for the address of %s: %w", d.endpoint, id, describe(err, endpointHint))
	}
	if ep.GetAddress() == "" {
		return nil, fmt.Errorf("the API endpoint %s gave no address for %s", d.endpoint, id)
	}
	return d.dial(ep.GetAddress())
}

func endpointHint(code codes.Code) string {
	switch code {
	case codes.Unavailable:
		return "check apiEndpoint (host:port of Yandex Cloud's API, " + DefaultAPIEndpoint + " when left out) and caProvider"
	case codes.NotFound:
		return "this API endpoint does not serve the service"
	}
	return ""
}

// describe wraps a gRPC error with the hint for its code; the status message is kept,
// as Yandex's messages name resources, not their content.
func describe(err error, hint func(codes.Code) string) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	if h := hint(st.Code()); h != "" {
		return fmt.Errorf("%s: %s (%w)", st.Code(), h, err)
	}
	return err
}

// session is what the clients of both services share: the connection to the service,
// learnt on the first read, and the IAM token.
type session struct {
	service  service
	api      *dialer
	tokens   *credcache.Source
	folderID string // set when the store fetches by name

	mu   sync.Mutex
	conn *grpc.ClientConn
}

func (s *session) byName() bool { return s.folderID != "" }

// connection returns the connection to the service, asking the API endpoint service for
// its address the first time; a failure is not kept, so the next read asks again.
func (s *session) connection(ctx context.Context) (*grpc.ClientConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return s.conn, nil
	}
	conn, err := s.api.dialService(ctx, s.service.endpointID)
	if err != nil {
		return nil, err
	}
	s.conn = conn
	return conn, nil
}

// call runs rpc, a read of key, on the service's connection with the IAM token in the
// authorization metadata; a token the service refuses as UNAUTHENTICATED is replaced once
// and the call repeated. Only the service's own answer is read as "not found": a code of
// IAM or of the API endpoint service never is.
func (s *session) call(ctx context.Context, key string, rpc func(ctx context.Context, conn *grpc.ClientConn) error) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	conn, err := s.connection(ctx)
	if err != nil {
		return err
	}
	token, err := s.tokens.Get(ctx)
	if err != nil {
		return err
	}
	err = rpc(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), conn)
	if status.Code(err) == codes.Unauthenticated && s.tokens.Rejected(token) {
		if token, err = s.tokens.Get(ctx); err != nil {
			return err
		}
		err = rpc(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), conn)
	}
	if err != nil {
		return s.readError(err, key)
	}
	return nil
}

// readError turns the service's answer for key into Ferry's: NOT_FOUND is
// provider.ErrNotFound, the only code that means the secret is gone; the others keep
// their code with what to check.
func (s *session) readError(err error, key string) error {
	if status.Code(err) == codes.NotFound {
		return fmt.Errorf("%w (%w)", provider.NotFound(key), err)
	}
	what := "ID"
	if s.byName() {
		what = "name in folder " + s.folderID
	}
	return fmt.Errorf("reading %s %q by %s: %w", s.service.item, key, what, describe(err, func(code codes.Code) string {
		switch code {
		case codes.PermissionDenied:
			return "the service account of the authorized key may not read it: grant it " + s.service.viewerRole + " on it or its folder"
		case codes.Unauthenticated:
			return "the service refused the IAM token of the authorized key"
		case codes.InvalidArgument:
			return "check remoteRef.key and remoteRef.version (IDs, or a name when the store fetches byName)"
		case codes.ResourceExhausted:
			return provider.RateLimitHint
		case codes.Unavailable:
			return "the service at the address the API endpoint gave did not answer gRPC over TLS: check caProvider and any proxy on the way"
		}
		return ""
	}))
}

// GetAllSecrets is not supported: neither of ESO's Yandex providers lists secrets.
func (s *session) GetAllSecrets(context.Context, esv1.ExternalSecretFind) (map[string][]byte, error) {
	return nil, provider.ErrFindNotSupported
}

// Validate proves that IAM accepts the store's authorized key by getting a token.
func (s *session) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	if _, err := s.tokens.Get(ctx); err != nil {
		return esv1.ValidationResultError, fmt.Errorf("checking the Yandex Cloud authorized key: %w", err)
	}
	return esv1.ValidationResultReady, nil
}

// Close closes the connection to the service.
func (s *session) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}
