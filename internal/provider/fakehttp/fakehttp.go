package fakehttp

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"time"
)

// Server is a running loopback server. URL is its base address, "http://127.0.0.1:PORT"
// or "https://127.0.0.1:PORT".
type Server struct {
	URL      string
	Listener net.Listener

	srv  *http.Server
	cert *x509.Certificate
}

// Start serves h over plain HTTP on a free loopback port.
func Start(h http.Handler) (*Server, error) {
	return start(h, nil)
}

// StartTLS serves h over TLS on a free loopback port, with a self-signed certificate for
// 127.0.0.1 and localhost made for this server; Certificate and Client trust it. Each
// configure function may change the TLS configuration before the server starts (client
// certificates, for one).
func StartTLS(h http.Handler, configure ...func(*tls.Config)) (*Server, error) {
	cert, pair, err := selfSigned()
	if err != nil {
		return nil, err
	}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	for _, c := range configure {
		c(tlsConfig)
	}
	s, err := start(h, tlsConfig)
	if err != nil {
		return nil, err
	}
	s.cert = cert
	return s, nil
}

func start(h http.Handler, tlsConfig *tls.Config) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Listener: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		s.srv.TLSConfig = tlsConfig
		ln = tls.NewListener(ln, tlsConfig)
	}
	s.URL = scheme + "://" + s.Listener.Addr().String()
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server and closes its open connections.
func (s *Server) Close() {
	_ = s.srv.Close()
}

// Certificate is the TLS server's certificate (its own issuer), or nil for plain HTTP.
func (s *Server) Certificate() *x509.Certificate {
	return s.cert
}

// CertificatePEM is Certificate in PEM form, what a store's caBundle holds; nil for plain HTTP.
func (s *Server) CertificatePEM() []byte {
	if s.cert == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Raw})
}

// Client is an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client {
	if s.cert == nil {
		return &http.Client{}
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.cert)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

func selfSigned() (*x509.Certificate, tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, tls.Certificate{}, errors.Join(errors.New("parse the certificate just made"), err)
	}
	return cert, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, nil
}
