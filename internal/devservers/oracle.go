package devservers

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5" //nolint:gosec // OCI's API key fingerprint is the MD5 of the public key, by definition
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider/fakehttp"
	"github.com/ferryhq/ferry/internal/provider/oracle/oraclefake"
)

// An OCI store has no field for the service endpoints: the operator calls OCI's public
// hosts of the store's region. To reach the in-process OCI without changing the operator,
// the operator is given an HTTPS proxy (HTTPS_PROXY) that tunnels CONNECTs to those hosts,
// and only those, to a loopback TLS front whose certificate, for those host names, is
// signed by a CA made at start and trusted through SSL_CERT_FILE. The front forwards each
// request, with its Host header as signed, to the stand-in's server for that service.

const (
	ociRegion  = "us-ashburn-1"
	ociTenancy = "ocid1.tenancy.oc1..ferrydevtenancy"
	ociUser    = "ocid1.user.oc1..ferrydevuser"
)

// ociHosts maps the public host of each service in ociRegion (the operator's endpoints)
// to the stand-in's service name.
var ociHosts = map[string]string{
	"secrets.vaults." + ociRegion + ".oci.oraclecloud.com": oraclefake.SecretsService,
	"vaults." + ociRegion + ".oci.oraclecloud.com":         oraclefake.VaultsService,
	"kms." + ociRegion + ".oraclecloud.com":                oraclefake.KMSService,
	"auth." + ociRegion + ".oraclecloud.com":               oraclefake.AuthService,
}

func (s *Servers) startOracle() error {
	f, err := oraclefake.Start()
	if err != nil {
		return fmt.Errorf("starting the OCI stand-in: %w", err)
	}
	s.Oracle, s.closers = f, append(s.closers, f.Close)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	sum := md5.Sum(pub) //nolint:gosec // see the import
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02x", b)
	}
	fingerprint := strings.Join(hexes, ":")
	f.AddKey(ociTenancy+"/"+ociUser+"/"+fingerprint, &key.PublicKey)
	f.Put("ferry-dev-db-password", []byte("oci-pw-5f0b"), nil)

	front, caPEM, err := startOCIFront(f)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, front.Close)
	proxy, err := fakehttp.Start(connectProxy(strings.TrimPrefix(front.URL, "https://")))
	if err != nil {
		return err
	}
	s.closers = append(s.closers, proxy.Close)
	s.ociProxy, s.ociCA = proxy.URL, caPEM

	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	s.values["oracleVault"], s.values["oracleRegion"] = oraclefake.Vault, ociRegion
	s.values["oracleUser"], s.values["oracleTenancy"] = ociUser, ociTenancy
	s.values["oraclePrivateKey"], s.values["oracleFingerprint"] = indent(string(keyPEM), 4), fingerprint
	s.target("oracle", "oracle-example", "secret-to-be-created", map[string]string{"password": "oci-pw-5f0b"})
	return nil
}

// OperatorEnv is what the operator's environment needs so that its OCI calls reach the
// stand-in: HTTPS_PROXY and SSL_CERT_FILE, the CAs written into dir; and the address of
// the stand-ins no store field can name (Doppler's), whose certificates that file holds
// too. Loopback addresses are never proxied, so every other stand-in, the API server and
// moto are reached directly.
func (s *Servers) OperatorEnv(dir string) ([]string, error) {
	platformEnv, platformCAs := s.platformOperatorEnv()
	caFile := filepath.Join(dir, "operator-ca.pem")
	if err := os.WriteFile(caFile, append(append([]byte{}, s.ociCA...), platformCAs...), 0o600); err != nil {
		return nil, err
	}
	return append([]string{"HTTPS_PROXY=" + s.ociProxy, "SSL_CERT_FILE=" + caFile}, platformEnv...), nil
}

// startOCIFront serves TLS on loopback for the hosts of ociHosts, with a certificate issued
// by a CA made here (returned as PEM), forwarding each request to the stand-in's server of
// the host's service with the Host header unchanged: the request's signature covers it.
func startOCIFront(f *oraclefake.Server) (*fakehttp.Server, []byte, error) {
	caPEM, leaf, err := ociCertificates()
	if err != nil {
		return nil, nil, err
	}
	proxies := map[string]*httputil.ReverseProxy{}
	for host, service := range ociHosts {
		target, err := url.Parse(f.Servers[service].URL)
		if err != nil {
			return nil, nil, err
		}
		proxies[host] = httputil.NewSingleHostReverseProxy(target)
	}
	front, err := fakehttp.StartTLS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		p, ok := proxies[host]
		if !ok {
			http.Error(w, "not an OCI host of "+ociRegion, http.StatusMisdirectedRequest)
			return
		}
		p.ServeHTTP(w, r)
	}), func(c *tls.Config) { c.Certificates = []tls.Certificate{leaf} })
	if err != nil {
		return nil, nil, err
	}
	return front, caPEM, nil
}

// connectProxy tunnels a CONNECT to one of ociHosts on port 443 to front; it refuses any
// other method or destination, so nothing leaves the machine.
func connectProxy(front string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, port, err := net.SplitHostPort(r.Host)
		if r.Method != http.MethodConnect || err != nil || port != "443" || ociHosts[host] == "" {
			http.Error(w, "this proxy only tunnels to OCI's hosts of "+ociRegion, http.StatusForbidden)
			return
		}
		upstream, err := net.DialTimeout("tcp", front, 5*time.Second)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		hijacker, ok := w.(http.Hijacker)
		if !ok {
			_ = upstream.Close()
			http.Error(w, "cannot tunnel", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		client, buffered, err := hijacker.Hijack()
		if err != nil {
			_ = upstream.Close()
			return
		}
		if n := buffered.Reader.Buffered(); n > 0 {
			pending, _ := buffered.Peek(n)
			_, _ = upstream.Write(pending)
		}
		pipe(client, upstream)
	})
}

// pipe copies both ways until either side closes, then closes both.
func pipe(a, b net.Conn) {
	var once sync.Once
	closeBoth := func() { _ = a.Close(); _ = b.Close() }
	go func() { _, _ = io.Copy(a, b); once.Do(closeBoth) }()
	_, _ = io.Copy(b, a)
	once.Do(closeBoth)
}

// ociCertificates makes a CA and, signed by it, a certificate for the hosts of ociHosts.
func ociCertificates() (caPEM []byte, leaf tls.Certificate, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Ferry dev OCI stand-in CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	names := make([]string, 0, len(ociHosts))
	for host := range ociHosts {
		names = append(names, host)
	}
	template := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(30 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, template, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	if len(leafDER) == 0 {
		return nil, tls.Certificate{}, errors.New("no certificate made")
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}, nil
}
