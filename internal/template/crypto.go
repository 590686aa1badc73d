package template

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"software.sslmate.com/src/go-pkcs12"
)

// The helpers below are shared by both engines. Their errors are safeErrors: they say what
// is wrong with the input and never quote it (nor the errors of the libraries, which may).

const (
	pemTypeCertificate = "CERTIFICATE"
	pemTypePrivateKey  = "PRIVATE KEY"
	pemTypePublicKey   = "PUBLIC KEY"
)

// decodePKCS12 returns the private key, the leaf certificate and the other certificates
// of a PKCS#12 archive. An archive without a key (a trust store) yields its certificates.
func decodePKCS12(archive []byte, password string) (crypto.PrivateKey, []*x509.Certificate, error) {
	key, leaf, caCerts, err := pkcs12.DecodeChain(archive, password)
	if err == nil {
		return key, append([]*x509.Certificate{leaf}, caCerts...), nil
	}
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, nil, safeErrorf("the password of the PKCS#12 archive is wrong")
	}
	if certs, storeErr := pkcs12.DecodeTrustStore(archive, password); storeErr == nil && len(certs) > 0 {
		return nil, certs, nil
	}
	return nil, nil, safeErrorf("the input is not a PKCS#12 archive with a private key and a certificate")
}

// pkcs12PrivateKeyPEM extracts the private key of an archive as a PKCS#8 PEM block.
func pkcs12PrivateKeyPEM(archive []byte, password string) (string, error) {
	der, err := pkcs12PrivateKeyDER(archive, password)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: pemTypePrivateKey, Bytes: der})), nil
}

// pkcs12PrivateKeyDER extracts the private key of an archive in PKCS#8 DER.
func pkcs12PrivateKeyDER(archive []byte, password string) ([]byte, error) {
	key, _, err := decodePKCS12(archive, password)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, safeErrorf("the PKCS#12 archive holds no private key")
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, safeErrorf("the private key in the PKCS#12 archive is of an unsupported type")
	}
	return der, nil
}

// pkcs12CertificatesPEM extracts every certificate of an archive as PEM, leaf first, then
// intermediates, then the root, when they form one chain; otherwise in archive order.
func pkcs12CertificatesPEM(archive []byte, password string) (string, error) {
	_, certs, err := decodePKCS12(archive, password)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	for _, cert := range orderChain(certs) {
		_ = pem.Encode(&out, &pem.Block{Type: pemTypeCertificate, Bytes: cert.Raw})
	}
	return out.String(), nil
}

// orderChain orders certificates leaf → intermediates → root when they form exactly one
// chain; certificates that do not (several leaves, a gap) are returned as they came.
func orderChain(certs []*x509.Certificate) []*x509.Certificate {
	if chain, ok := singleChain(certs); ok {
		return chain
	}
	return certs
}

// singleChain orders certificates leaf → intermediates → root. ok is false when they are
// not exactly one chain: none given, several leaves, or a certificate that links to nothing.
// A certificate issues another when its subject is the other's issuer and, where both
// carry key identifiers, its subject key id is the other's authority key id.
func singleChain(certs []*x509.Certificate) (chain []*x509.Certificate, ok bool) {
	if len(certs) < 2 {
		return certs, len(certs) == 1
	}
	issues := func(parent, child *x509.Certificate) bool {
		if parent == child || !bytes.Equal(parent.RawSubject, child.RawIssuer) {
			return false
		}
		return len(parent.SubjectKeyId) == 0 || len(child.AuthorityKeyId) == 0 ||
			bytes.Equal(parent.SubjectKeyId, child.AuthorityKeyId)
	}
	var leaves []*x509.Certificate
	for _, candidate := range certs {
		if !slices.ContainsFunc(certs, func(other *x509.Certificate) bool { return issues(candidate, other) }) {
			leaves = append(leaves, candidate)
		}
	}
	if len(leaves) != 1 {
		return nil, false
	}
	chain = []*x509.Certificate{leaves[0]}
	used := map[*x509.Certificate]bool{leaves[0]: true}
	for len(chain) < len(certs) {
		i := slices.IndexFunc(certs, func(candidate *x509.Certificate) bool {
			return !used[candidate] && issues(candidate, chain[len(chain)-1])
		})
		if i < 0 {
			return nil, false
		}
		used[certs[i]] = true
		chain = append(chain, certs[i])
	}
	return chain, true
}

// pemToPKCS12 builds a PKCS#12 archive (DER) from PEM certificates and a PEM private key.
// The leaf is the certificate that matches the key; with withChain the other certificates
// are added as the CA chain, in the order given.
func pemToPKCS12(certPEM, keyPEM, password string, withChain bool) ([]byte, error) {
	key, err := parsePrivateKeyPEM([]byte(keyPEM))
	if err != nil {
		return nil, err
	}
	certs, err := parseCertificatesPEM([]byte(certPEM))
	if err != nil {
		return nil, err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, safeErrorf("the private key is of an unsupported type")
	}
	leafIndex := -1
	for i, cert := range certs {
		if publicKeysEqual(signer.Public(), cert.PublicKey) {
			leafIndex = i
			break
		}
	}
	if leafIndex < 0 {
		return nil, safeErrorf("no certificate matches the private key")
	}
	var caCerts []*x509.Certificate
	if withChain {
		caCerts = append(caCerts, certs[:leafIndex]...)
		caCerts = append(caCerts, certs[leafIndex+1:]...)
	}
	archive, err := pkcs12.Modern.Encode(key, certs[leafIndex], caCerts, password)
	if err != nil {
		return nil, safeErrorf("the key and certificates cannot be encoded as PKCS#12")
	}
	return archive, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	comparable, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && comparable.Equal(b)
}

// parsePrivateKeyPEM returns the first private key in PEM input: PKCS#8, PKCS#1 (RSA) or
// SEC 1 (EC). Other blocks (EC PARAMETERS, certificates) are skipped.
func parsePrivateKeyPEM(input []byte) (crypto.PrivateKey, error) {
	for block, rest := pem.Decode(input); block != nil; block, rest = pem.Decode(rest) {
		switch block.Type {
		case pemTypePrivateKey:
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, safeErrorf("a PRIVATE KEY block is not a valid PKCS#8 key")
			}
			return key, nil
		case "RSA PRIVATE KEY":
			key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, safeErrorf("an RSA PRIVATE KEY block is not a valid PKCS#1 key")
			}
			return key, nil
		case "EC PRIVATE KEY":
			key, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, safeErrorf("an EC PRIVATE KEY block is not a valid SEC 1 key")
			}
			return key, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, safeErrorf("encrypted private keys are not supported")
		}
	}
	return nil, safeErrorf("no PEM private key found")
}

// parseCertificatesPEM returns every CERTIFICATE block of PEM input, in order.
func parseCertificatesPEM(input []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for block, rest := pem.Decode(input); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != pemTypeCertificate {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, safeErrorf("a CERTIFICATE block is not a valid X.509 certificate")
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, safeErrorf("no PEM certificate found")
	}
	return certs, nil
}

// filterPEMBlocks returns the PEM blocks of one type from input, in order, re-encoded. The
// type is matched without regard to case, as ESO does.
func filterPEMBlocks(pemType string, input []byte) (string, error) {
	var out bytes.Buffer
	for block, rest := pem.Decode(input); block != nil; block, rest = pem.Decode(rest) {
		if strings.EqualFold(block.Type, pemType) {
			if err := pem.Encode(&out, block); err != nil {
				return "", safeErrorf("a PEM block cannot be encoded")
			}
		}
	}
	if out.Len() == 0 {
		return "", safeErrorf("no PEM block of the requested type found")
	}
	return out.String(), nil
}

// jwkPublicKeyPEM returns the public key of a JSON Web Key as a PKIX "PUBLIC KEY" block.
func jwkPublicKeyPEM(input []byte) (string, error) {
	key, err := jwk.ParseKey(input)
	if err != nil {
		return "", safeErrorf("the input is not a valid JSON Web Key")
	}
	if _, asymmetric := key.(jwk.AsymmetricKey); !asymmetric {
		return "", safeErrorf("the JSON Web Key has no public key (is it symmetric?)")
	}
	public, err := jwk.PublicKeyOf(key)
	if err != nil {
		return "", safeErrorf("the JSON Web Key has no public key (is it symmetric?)")
	}
	var raw any
	if err := jwk.Export(public, &raw); err != nil {
		return "", safeErrorf("the JSON Web Key cannot be converted")
	}
	der, err := x509.MarshalPKIXPublicKey(raw)
	if err != nil {
		return "", safeErrorf("the JSON Web Key's type has no PKIX encoding")
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: pemTypePublicKey, Bytes: der})), nil
}

// jwkPrivateKeyPEM returns the private key of a JSON Web Key as a PKCS#8 "PRIVATE KEY" block.
func jwkPrivateKeyPEM(input []byte) (string, error) {
	key, err := jwk.ParseKey(input)
	if err != nil {
		return "", safeErrorf("the input is not a valid JSON Web Key")
	}
	if private, err := jwk.IsPrivateKey(key); err != nil || !private {
		return "", safeErrorf("the JSON Web Key holds no private key")
	}
	var raw any
	if err := jwk.Export(key, &raw); err != nil {
		return "", safeErrorf("the JSON Web Key cannot be converted")
	}
	der, err := x509.MarshalPKCS8PrivateKey(raw)
	if err != nil {
		return "", safeErrorf("the JSON Web Key's type has no PKCS#8 encoding")
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: pemTypePrivateKey, Bytes: der})), nil
}
