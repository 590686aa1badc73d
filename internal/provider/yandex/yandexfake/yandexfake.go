package yandexfake

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	cm "github.com/yandex-cloud/go-genproto/yandex/cloud/certificatemanager/v1"
	"github.com/yandex-cloud/go-genproto/yandex/cloud/endpoint"
	iamv1 "github.com/yandex-cloud/go-genproto/yandex/cloud/iam/v1"
	lockbox "github.com/yandex-cloud/go-genproto/yandex/cloud/lockbox/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The folder the tests keep their secrets in, and the service account that may read every
// secret and certificate put.
const (
	Folder         = "b1gfolder0example"
	ServiceAccount = "ajesa0example"
)

// Server is a running in-process Yandex Cloud.
type Server struct {
	// APIEndpoint is the address stores name (host:port); it lists the other servers' addresses.
	APIEndpoint string
	// CAPEM signs every server's certificate, ServerCert: what a store's caProvider names.
	CAPEM      []byte
	ServerCert tls.Certificate

	// tokenTTL is the life of the IAM tokens IAM issues (12 hours at Yandex).
	tokenTTL time.Duration
	servers  []*grpc.Server

	mu sync.Mutex
	// now is the servers' clock, which tests move; live makes it the wall clock, for an
	// operator whose provider reads the wall clock.
	now         time.Time
	live        bool
	addresses   map[string]string // endpoint ID → address
	keys        map[string]fakeKey
	tokens      map[string]fakeToken
	secrets     map[string]*fakeSecret // Lockbox, by ID
	certs       map[string]*fakeCert   // Certificate Manager, by ID
	calls       map[string]int
	lastVersion int
	// failing, when set, is what every IAM, Lockbox and Certificate Manager call answers;
	// hanging makes them wait for the caller to give up.
	failing error
	hanging bool
}

// Start serves the API endpoint service, IAM and the Lockbox and Certificate Manager data
// services on free loopback ports over TLS; Close stops them. The servers' clock stands
// still at a fixed time until Advance or SetLive.
func Start() (_ *Server, err error) {
	f := &Server{tokenTTL: 12 * time.Hour, now: time.Unix(1_800_000_000, 0),
		addresses: map[string]string{}, keys: map[string]fakeKey{}, tokens: map[string]fakeToken{},
		secrets: map[string]*fakeSecret{}, certs: map[string]*fakeCert{}, calls: map[string]int{}}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	if f.CAPEM, f.ServerCert, err = newCA(); err != nil {
		return nil, err
	}
	serve := func(register func(*grpc.Server)) (string, error) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{f.ServerCert}, MinVersion: tls.VersionTLS12})))
		register(srv)
		go func() { _ = srv.Serve(lis) }()
		f.servers = append(f.servers, srv)
		return lis.Addr().String(), nil
	}
	if f.APIEndpoint, err = serve(func(s *grpc.Server) { endpoint.RegisterApiEndpointServiceServer(s, endpointServer{f}) }); err != nil {
		return nil, err
	}
	iamAddr, err := serve(func(s *grpc.Server) { iamv1.RegisterIamTokenServiceServer(s, iamServer{f: f}) })
	if err != nil {
		return nil, err
	}
	dataAddr, err := serve(func(s *grpc.Server) {
		lockbox.RegisterPayloadServiceServer(s, payloadServer{f: f})
		cm.RegisterCertificateContentServiceServer(s, contentServer{f: f})
	})
	if err != nil {
		return nil, err
	}
	f.addresses = map[string]string{"iam": iamAddr, "lockbox-payload": dataAddr, "certificate-manager-data": dataAddr}
	return f, nil
}

// Close stops every server.
func (f *Server) Close() {
	for _, s := range f.servers {
		s.Stop()
	}
	f.servers = nil
}

// newCA makes a CA and a certificate for 127.0.0.1 that it signs.
func newCA() ([]byte, tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	// Valid for a month, so a `make dev` environment outlives no certificate.
	notAfter := time.Now().Add(30 * 24 * time.Hour)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test Yandex CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// SetLive makes the servers' clock the wall clock, for an operator whose provider reads it.
func (f *Server) SetLive() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live = true
}

// SetTokenTTL sets the life of the IAM tokens issued from now on.
func (f *Server) SetTokenTTL(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenTTL = d
}

// SetFailure has every IAM, Lockbox and Certificate Manager call answer err (nil: none),
// or, hanging, wait for its caller to give up.
func (f *Server) SetFailure(err error, hanging bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing, f.hanging = err, hanging
}

// SetAddress has the API endpoint service give addr for the endpoint id (as "lockbox-payload").
func (f *Server) SetAddress(id, addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addresses[id] = addr
}

// ForgetKey removes the authorized key id from IAM.
func (f *Server) ForgetKey(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.keys, id)
}

// SetSecretReaders replaces the service accounts that may read the Lockbox secret id.
func (f *Server) SetSecretReaders(id string, serviceAccounts ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.secrets[id].readers = readers(serviceAccounts)
}

// SetCertReaders replaces the service accounts that may read the certificate id.
func (f *Server) SetCertReaders(id string, serviceAccounts ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.certs[id].readers = readers(serviceAccounts)
}

func readers(serviceAccounts []string) map[string]bool {
	out := map[string]bool{}
	for _, sa := range serviceAccounts {
		out[sa] = true
	}
	return out
}

type fakeKey struct {
	serviceAccountID string
	public           *rsa.PublicKey
}

type fakeToken struct {
	serviceAccountID string
	expiry           time.Time
}

type fakeSecret struct {
	id, folderID, name string
	readers            map[string]bool // service accounts with lockbox.payloadViewer
	versions           []fakeVersion   // the last is current
}

type fakeVersion struct {
	id      string
	entries []*lockbox.Payload_Entry
}

type fakeCert struct {
	id, folderID, name string
	readers            map[string]bool
	versions           []fakeCertVersion
}

type fakeCertVersion struct {
	id         string
	chain      []string
	privateKey string
}

// Now is the clock the servers check JWTs and tokens against; tests share it with the
// provider.
func (f *Server) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock()
}

// clock is Now with f.mu held.
func (f *Server) clock() time.Time {
	if f.live {
		return time.Now()
	}
	return f.now
}

// Advance moves the servers' clock by d.
func (f *Server) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// Calls returns how often method (e.g. "iam.Create", "lockbox.Get") was called.
func (f *Server) Calls(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// Logins counts IAM token exchanges.
func (f *Server) Logins() int { return f.Calls("iam.Create") }

// NewKey makes an authorized key for serviceAccount, registers its public key with IAM
// and returns the JSON file `yc iam key create` writes.
func (f *Server) NewKey(id, serviceAccount string) ([]byte, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	f.mu.Lock()
	f.keys[id] = fakeKey{serviceAccountID: serviceAccount, public: &priv.PublicKey}
	f.mu.Unlock()
	return json.Marshal(map[string]string{
		"id": id, "service_account_id": serviceAccount, "created_at": "2026-01-02T03:04:05Z", "key_algorithm": "RSA_2048",
		"public_key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
		// As recent yc releases write it: a line of text before the PEM block.
		"private_key": "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <" + id + ">\n" +
			string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
	})
}

func (f *Server) count(method string) { f.calls[method]++ }

func (f *Server) nextVersion() string {
	f.lastVersion++
	return fmt.Sprintf("e6qver%04d", f.lastVersion)
}

// PutSecret adds a version to the Lockbox secret id (creating it in folder under name)
// and returns the version's ID. ServiceAccount may read it.
func (f *Server) PutSecret(id, folder, name string, entries ...*lockbox.Payload_Entry) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.secrets[id]
	if !ok {
		s = &fakeSecret{id: id, folderID: folder, name: name, readers: map[string]bool{ServiceAccount: true}}
		f.secrets[id] = s
	}
	v := fakeVersion{id: f.nextVersion(), entries: entries}
	s.versions = append(s.versions, v)
	return v.id
}

// DeleteSecret removes the Lockbox secret id.
func (f *Server) DeleteSecret(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.secrets, id)
}

// PutCert adds a version to the certificate id (creating it in folder under name) and
// returns the version's ID. ServiceAccount may read it.
func (f *Server) PutCert(id, folder, name string, chain []string, privateKey string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.certs[id]
	if !ok {
		c = &fakeCert{id: id, folderID: folder, name: name, readers: map[string]bool{ServiceAccount: true}}
		f.certs[id] = c
	}
	v := fakeCertVersion{id: f.nextVersion(), chain: chain, privateKey: privateKey}
	c.versions = append(c.versions, v)
	return v.id
}

// Text is a text entry of a Lockbox secret.
func Text(key, value string) *lockbox.Payload_Entry {
	return &lockbox.Payload_Entry{Key: key, Value: &lockbox.Payload_Entry_TextValue{TextValue: value}}
}

// Binary is a binary entry of a Lockbox secret.
func Binary(key string, value []byte) *lockbox.Payload_Entry {
	return &lockbox.Payload_Entry{Key: key, Value: &lockbox.Payload_Entry_BinaryValue{BinaryValue: value}}
}

// endpointServer is ApiEndpointService: it needs no authentication.
type endpointServer struct{ f *Server }

func (s endpointServer) Get(_ context.Context, req *endpoint.GetApiEndpointRequest) (*endpoint.ApiEndpoint, error) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("endpoint.Get")
	addr, ok := f.addresses[req.GetApiEndpointId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "Endpoint %s not found", req.GetApiEndpointId())
	}
	return &endpoint.ApiEndpoint{Id: req.GetApiEndpointId(), Address: addr}, nil
}

func (endpointServer) List(context.Context, *endpoint.ListApiEndpointsRequest) (*endpoint.ListApiEndpointsResponse, error) {
	return nil, status.Error(codes.Unimplemented, "the provider is expected to Get the endpoints it needs")
}

// iamServer is IamTokenService.Create for a service account's JWT, checked as IAM
// documents: PS256 signed with the key kid names, iss the key's service account, aud
// IAM's token URL, exp at most an hour after iat and not passed.
type iamServer struct {
	iamv1.UnimplementedIamTokenServiceServer
	f *Server
}

func (s iamServer) Create(ctx context.Context, req *iamv1.CreateIamTokenRequest) (*iamv1.CreateIamTokenResponse, error) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("iam.Create")
	if err := f.failure(ctx); err != nil {
		return nil, err
	}
	raw := req.GetJwt()
	if raw == "" {
		return nil, status.Error(codes.InvalidArgument, "Request validation error: jwt: required")
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, status.Error(codes.InvalidArgument, "Invalid JWT")
	}
	var header struct{ Typ, Alg, Kid string }
	if b, err := base64.RawURLEncoding.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &header) != nil {
		return nil, status.Error(codes.InvalidArgument, "Invalid JWT header")
	}
	if header.Alg != "PS256" {
		return nil, status.Errorf(codes.Unauthenticated, "Unsupported JWT algorithm %s", header.Alg)
	}
	key, ok := f.keys[header.Kid]
	if !ok {
		return nil, status.Errorf(codes.Unauthenticated, "Key %s not found", header.Kid)
	}
	payload, err := jws.Verify([]byte(raw), jws.WithKey(jwa.PS256(), key.public))
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, "JWT signature is invalid")
	}
	var claims struct {
		Iss      string
		Aud      any
		Iat, Exp int64
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, status.Error(codes.InvalidArgument, "Invalid JWT claims")
	}
	now := f.clock().Unix()
	switch {
	case claims.Iss != key.serviceAccountID:
		return nil, status.Error(codes.Unauthenticated, "JWT issuer is not the key's service account")
	case !audienceIs(claims.Aud, "https://iam.api.cloud.yandex.net/iam/v1/tokens"):
		return nil, status.Error(codes.Unauthenticated, "JWT audience is invalid")
	case claims.Exp <= now || claims.Iat > now+60 || claims.Exp-claims.Iat > 3600:
		return nil, status.Error(codes.Unauthenticated, "JWT is expired or lives too long")
	}
	var tok [12]byte
	_, _ = rand.Read(tok[:])
	token := "t1." + base64.RawURLEncoding.EncodeToString(tok[:])
	expiry := f.clock().Add(f.tokenTTL)
	f.tokens[token] = fakeToken{serviceAccountID: key.serviceAccountID, expiry: expiry}
	return &iamv1.CreateIamTokenResponse{IamToken: token, ExpiresAt: timestamppb.New(expiry)}, nil
}

// audienceIs reports whether a JWT's aud, a string or an array of strings (RFC 7519), is
// want.
func audienceIs(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		return len(a) == 1 && a[0] == want
	}
	return false
}

// failure is the answer the test set for every call, if any. f.mu is held; a hanging
// call lets it go while it waits.
func (f *Server) failure(ctx context.Context) error {
	if f.hanging {
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		return status.FromContextError(ctx.Err()).Err()
	}
	return f.failing
}

// caller returns the service account of the IAM token in the call's authorization
// metadata, or UNAUTHENTICATED. f.mu is held.
func (f *Server) caller(ctx context.Context) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	auth := md.Get("authorization")
	if len(auth) != 1 || !strings.HasPrefix(auth[0], "Bearer ") {
		return "", status.Error(codes.Unauthenticated, "Authorization header is missing")
	}
	tok, ok := f.tokens[strings.TrimPrefix(auth[0], "Bearer ")]
	if !ok || !f.clock().Before(tok.expiry) {
		return "", status.Error(codes.Unauthenticated, "The token is invalid")
	}
	return tok.serviceAccountID, nil
}

// RevokeTokens forgets every IAM token, as when they are revoked.
func (f *Server) RevokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]fakeToken{}
}

type payloadServer struct {
	lockbox.UnimplementedPayloadServiceServer
	f *Server
}

// version finds the secret's version for a caller: NOT_FOUND for a secret or version that
// does not exist, PERMISSION_DENIED for one the caller may not read.
func (f *Server) secretVersion(s *fakeSecret, caller, versionID string) (fakeVersion, error) {
	if s == nil {
		return fakeVersion{}, status.Error(codes.NotFound, "Secret not found")
	}
	if !s.readers[caller] {
		return fakeVersion{}, status.Errorf(codes.PermissionDenied, "Permission denied to secret %s", s.id)
	}
	if versionID == "" {
		return s.versions[len(s.versions)-1], nil
	}
	for _, v := range s.versions {
		if v.id == versionID {
			return v, nil
		}
	}
	return fakeVersion{}, status.Errorf(codes.NotFound, "Version %s not found", versionID)
}

func (s payloadServer) Get(ctx context.Context, req *lockbox.GetPayloadRequest) (*lockbox.Payload, error) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("lockbox.Get")
	if err := f.failure(ctx); err != nil {
		return nil, err
	}
	caller, err := f.caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetSecretId() == "" {
		return nil, status.Error(codes.InvalidArgument, "Request validation error: secret_id: required")
	}
	v, err := f.secretVersion(f.secrets[req.GetSecretId()], caller, req.GetVersionId())
	if err != nil {
		return nil, err
	}
	return &lockbox.Payload{VersionId: v.id, Entries: v.entries}, nil
}

func (s payloadServer) GetEx(ctx context.Context, req *lockbox.GetExRequest) (*lockbox.GetExResponse, error) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("lockbox.GetEx")
	if err := f.failure(ctx); err != nil {
		return nil, err
	}
	caller, err := f.caller(ctx)
	if err != nil {
		return nil, err
	}
	var secret *fakeSecret
	switch id := req.GetIdentifier().(type) {
	case *lockbox.GetExRequest_SecretId:
		secret = f.secrets[id.SecretId]
	case *lockbox.GetExRequest_FolderAndName:
		if id.FolderAndName.GetFolderId() == "" || id.FolderAndName.GetSecretName() == "" {
			return nil, status.Error(codes.InvalidArgument, "Request validation error: folder_id and secret_name: required")
		}
		for _, s := range f.secrets {
			if s.folderID == id.FolderAndName.GetFolderId() && s.name == id.FolderAndName.GetSecretName() {
				secret = s
			}
		}
	default:
		return nil, status.Error(codes.InvalidArgument, "Request validation error: identifier: required")
	}
	v, err := f.secretVersion(secret, caller, req.GetVersionId())
	if err != nil {
		return nil, err
	}
	entries := map[string][]byte{}
	for _, e := range v.entries {
		if e.GetBinaryValue() != nil {
			entries[e.GetKey()] = e.GetBinaryValue()
		} else {
			entries[e.GetKey()] = []byte(e.GetTextValue())
		}
	}
	return &lockbox.GetExResponse{SecretId: secret.id, VersionId: v.id, Entries: entries}, nil
}

type contentServer struct {
	cm.UnimplementedCertificateContentServiceServer
	f *Server
}

func (f *Server) certVersion(c *fakeCert, caller, versionID string) (fakeCertVersion, error) {
	if c == nil {
		return fakeCertVersion{}, status.Error(codes.NotFound, "Certificate not found")
	}
	if !c.readers[caller] {
		return fakeCertVersion{}, status.Errorf(codes.PermissionDenied, "Permission denied to certificate %s", c.id)
	}
	if versionID == "" {
		return c.versions[len(c.versions)-1], nil
	}
	for _, v := range c.versions {
		if v.id == versionID {
			return v, nil
		}
	}
	return fakeCertVersion{}, status.Errorf(codes.NotFound, "Version %s not found", versionID)
}

func (s contentServer) Get(ctx context.Context, req *cm.GetCertificateContentRequest) (*cm.GetCertificateContentResponse, error) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("cm.Get")
	if err := f.failure(ctx); err != nil {
		return nil, err
	}
	caller, err := f.caller(ctx)
	if err != nil {
		return nil, err
	}
	v, err := f.certVersion(f.certs[req.GetCertificateId()], caller, req.GetVersionId())
	if err != nil {
		return nil, err
	}
	return &cm.GetCertificateContentResponse{CertificateId: req.GetCertificateId(), CertificateChain: v.chain, PrivateKey: v.privateKey}, nil
}

func (s contentServer) GetEx(ctx context.Context, req *cm.GetExCertificateContentRequest) (*cm.GetExCertificateContentResponse, error) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count("cm.GetEx")
	if err := f.failure(ctx); err != nil {
		return nil, err
	}
	caller, err := f.caller(ctx)
	if err != nil {
		return nil, err
	}
	var cert *fakeCert
	switch id := req.GetIdentifier().(type) {
	case *cm.GetExCertificateContentRequest_CertificateId:
		cert = f.certs[id.CertificateId]
	case *cm.GetExCertificateContentRequest_FolderAndName:
		for _, c := range f.certs {
			if c.folderID == id.FolderAndName.GetFolderId() && c.name == id.FolderAndName.GetCertificateName() {
				cert = c
			}
		}
	default:
		return nil, status.Error(codes.InvalidArgument, "Request validation error: identifier: required")
	}
	v, err := f.certVersion(cert, caller, req.GetVersionId())
	if err != nil {
		return nil, err
	}
	return &cm.GetExCertificateContentResponse{CertificateId: cert.id, VersionId: v.id, CertificateChain: v.chain, PrivateKey: v.privateKey}, nil
}
