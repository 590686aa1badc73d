package template

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"

	"software.sslmate.com/src/go-pkcs12"
)

// The certificate types filterCertChain selects (ESO's names).
const (
	certTypeLeaf         = "leaf"
	certTypeIntermediate = "intermediate"
	certTypeRoot         = "root"
)

// filterCertChain returns the certificates of one type from the PEM chain in input: the leaf,
// the intermediates (in chain order) or the root, as PEM. Like ESO it returns "" when the
// chain has no certificate of that type: no root in a chain that stops at an intermediate,
// no leaf in a lone self-signed certificate.
func filterCertChain(certType, input string) (string, error) {
	if certType != certTypeLeaf && certType != certTypeIntermediate && certType != certTypeRoot {
		return "", safeErrorf("the certificate type must be %q, %q or %q", certTypeLeaf, certTypeIntermediate, certTypeRoot)
	}
	certs, err := parseCertificatesPEM([]byte(input))
	if err != nil {
		return "", err
	}
	chain, ok := singleChain(certs)
	if !ok {
		return "", safeErrorf("the certificates do not form one chain (several leaves, or a certificate whose issuer is missing between others)")
	}
	var selected []*x509.Certificate
	switch certType {
	case certTypeLeaf:
		if !isRootCertificate(chain[0]) {
			selected = chain[:1]
		}
	case certTypeIntermediate:
		for _, cert := range chain[1:] {
			if isRootCertificate(cert) {
				break
			}
			selected = append(selected, cert)
		}
	case certTypeRoot:
		if last := chain[len(chain)-1]; isRootCertificate(last) {
			selected = []*x509.Certificate{last}
		}
	}
	return certificatesPEM(selected), nil
}

// isRootCertificate reports whether cert is self-issued: its own issuer, with no authority
// key id or one equal to its subject key id.
func isRootCertificate(cert *x509.Certificate) bool {
	return bytes.Equal(cert.RawSubject, cert.RawIssuer) &&
		(len(cert.AuthorityKeyId) == 0 || bytes.Equal(cert.AuthorityKeyId, cert.SubjectKeyId))
}

func certificatesPEM(certs []*x509.Certificate) string {
	var out bytes.Buffer
	for _, cert := range certs {
		_ = pem.Encode(&out, &pem.Block{Type: pemTypeCertificate, Bytes: cert.Raw})
	}
	return out.String()
}

// certSANs returns the subject alternative names of the first certificate in PEM input, in
// ESO's order: DNS names, IP addresses, email addresses, then URIs.
func certSANs(input string) ([]string, error) {
	certs, err := parseCertificatesPEM([]byte(input))
	if err != nil {
		return nil, err
	}
	cert := certs[0]
	sans := make([]string, 0, len(cert.DNSNames)+len(cert.IPAddresses)+len(cert.EmailAddresses)+len(cert.URIs))
	sans = append(sans, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		sans = append(sans, ip.String())
	}
	sans = append(sans, cert.EmailAddresses...)
	for _, uri := range cert.URIs {
		sans = append(sans, uri.String())
	}
	return sans, nil
}

// pemTruststoreToPKCS12 builds a base64 PKCS#12 trust store (certificates, no key) from every
// certificate of PEM input, in order, marked as trusted for Java's KeyStore.
func pemTruststoreToPKCS12(certPEM, password string) (string, error) {
	certs, err := parseCertificatesPEM([]byte(certPEM))
	if err != nil {
		return "", err
	}
	archive, err := pkcs12.Modern.EncodeTrustStore(certs, password)
	if err != nil {
		return "", safeErrorf("the certificates cannot be encoded as a PKCS#12 trust store")
	}
	return base64.StdEncoding.EncodeToString(archive), nil
}
