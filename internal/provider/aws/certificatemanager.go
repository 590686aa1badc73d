package aws

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/smithy-go"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// certificateManager reads certificates from AWS Certificate Manager (ACM) and imports
// them (PushSecret). A read names a certificate by its ARN and returns what
// ExportCertificate gives: the certificate, its chain and its private key, the key decrypted.
type certificateManager struct {
	api      certificateManagerAPI
	tagging  resourceTaggingAPI
	identity callerIdentityAPI
	prefix   string
	// exports keeps the last export of each certificate, so that a refresh that finds the
	// certificate unchanged (GetCertificate, free) does not export it again.
	exports *exportCache
	// arns remembers the certificate each pushed remote key was imported as, because the
	// tagging API that finds it by tag is eventually consistent.
	arns *arnCache
}

var _ provider.Client = (*certificateManager)(nil)

// Keys of the map GetSecretMap returns, those of a Kubernetes TLS Secret.
const (
	tlsCertKey = "tls.crt"
	tlsKeyKey  = "tls.key"
)

// errNotExportable explains why ExportCertificate refused a certificate.
var errNotExportable = errors.New("ACM exports only private certificates (issued by AWS Private CA) and public certificates requested with export enabled; " +
	"request an exportable certificate, or read this one where it was issued")

// GetSecret returns the certificate named by ref.Key (its ARN) as one PEM bundle: the
// certificate, its chain, then its private key, unencrypted. As in External Secrets
// Operator, ref.Property, ref.Version and ref.MetadataPolicy do not change what is read.
func (c *certificateManager) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	b, err := c.export(ctx, ref.Key)
	if err != nil {
		return nil, err
	}
	return joinPEM(b.certificate, b.chain, b.privateKey), nil
}

// GetSecretMap returns the certificate named by ref.Key as the keys of a Kubernetes TLS
// Secret: tls.crt (the certificate, then its chain) and tls.key (its private key).
func (c *certificateManager) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	b, err := c.export(ctx, ref.Key)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		tlsCertKey: joinPEM(b.certificate, b.chain),
		tlsKeyKey:  joinPEM(b.privateKey),
	}, nil
}

// GetAllSecrets is not supported: ACM holds certificates, not named secrets to list.
func (c *certificateManager) GetAllSecrets(context.Context, esv1.ExternalSecretFind) (map[string][]byte, error) {
	return nil, fmt.Errorf("%w: AWS Certificate Manager certificates are read one at a time, by ARN", provider.ErrFindNotSupported)
}

// Validate proves that the store's credentials are accepted by AWS.
func (c *certificateManager) Validate(ctx context.Context) (esv1.ValidationResult, error) {
	return validateIdentity(ctx, c.identity)
}

// Close releases nothing: connections belong to the provider's shared pool.
func (c *certificateManager) Close(context.Context) error { return nil }

// exportedCertificate is what ExportCertificate returned, each part PEM without trailing
// newlines, the key decrypted.
type exportedCertificate struct {
	certificate, chain, privateKey []byte
}

// export returns the certificate's export: from the cache when GetCertificate shows the
// same certificate and chain as the cached export (a certificate cannot change key without
// changing), otherwise from ExportCertificate.
func (c *certificateManager) export(ctx context.Context, arn string) (exportedCertificate, error) {
	if err := checkCertificateARN(arn); err != nil {
		return exportedCertificate{}, err
	}
	current, err := c.api.GetCertificate(ctx, &acm.GetCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		return exportedCertificate{}, certificateError(err, arn, "reading")
	}
	fingerprint := certificateFingerprint(aws.ToString(current.Certificate), aws.ToString(current.CertificateChain))
	if b, ok := c.exports.get(arn, fingerprint); ok {
		return b, nil
	}
	passphrase := newExportPassphrase()
	out, err := c.api.ExportCertificate(ctx, &acm.ExportCertificateInput{CertificateArn: aws.String(arn), Passphrase: passphrase})
	if err != nil {
		if code, msg := acmErrorCode(err); code == "ValidationException" {
			return exportedCertificate{}, fmt.Errorf("exporting certificate %q from AWS Certificate Manager: %w (AWS said: %s)", arn, errNotExportable, msg)
		}
		return exportedCertificate{}, certificateError(err, arn, "exporting")
	}
	if aws.ToString(out.Certificate) == "" || aws.ToString(out.PrivateKey) == "" {
		return exportedCertificate{}, fmt.Errorf("exporting certificate %q from AWS Certificate Manager: the answer has no certificate or no private key", arn)
	}
	key, err := decryptExportedKey([]byte(aws.ToString(out.PrivateKey)), passphrase)
	if err != nil {
		return exportedCertificate{}, fmt.Errorf("certificate %q: %w", arn, err)
	}
	b := exportedCertificate{
		certificate: trimPEM(aws.ToString(out.Certificate)),
		chain:       trimPEM(aws.ToString(out.CertificateChain)),
		privateKey:  trimPEM(string(key)),
	}
	// Keyed by what GetCertificate showed before the export: should the certificate be
	// renewed in between, the next refresh sees a new fingerprint and exports again.
	c.exports.put(arn, fingerprint, b)
	return b, nil
}

// checkCertificateARN refuses a key that is no ACM certificate ARN before any call, with
// the shape it must have.
func checkCertificateARN(arn string) error {
	if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":acm:") || !strings.Contains(arn, ":certificate/") {
		return fmt.Errorf("remoteRef.key %q: name the certificate by its ARN, arn:aws:acm:<region>:<account>:certificate/<id>", arn)
	}
	return nil
}

// certificateError maps a missing certificate to provider.ErrNotFound and explains the
// errors a user can act on; others are wrapped with the ARN.
func certificateError(err error, arn, doing string) error {
	switch code, _ := acmErrorCode(err); code {
	case "ResourceNotFoundException":
		return provider.NotFound(arn)
	case "InvalidArnException":
		return fmt.Errorf("remoteRef.key %q is not a valid certificate ARN: %w", arn, err)
	case "RequestInProgressException":
		return fmt.Errorf("certificate %q is not issued yet; it is read again at the next refresh: %w", arn, err)
	}
	return fmt.Errorf("%s certificate %q in AWS Certificate Manager: %w", doing, arn, err)
}

// acmErrorCode returns the error code and message of an ACM error answer. Codes are
// compared rather than types: the SDK types only the errors each operation models, and
// ExportCertificate's ValidationException is not among them.
func acmErrorCode(err error) (code, message string) {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode(), apiErr.ErrorMessage()
	}
	return "", ""
}

// certificateFingerprint identifies a certificate and chain as GetCertificate returns them.
func certificateFingerprint(certificate, chain string) [sha256.Size]byte {
	h := sha256.New()
	h.Write(trimPEM(certificate))
	h.Write([]byte{0})
	h.Write(trimPEM(chain))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

func trimPEM(s string) []byte { return []byte(strings.TrimSpace(s)) }

// joinPEM joins PEM parts, one newline between them and one at the end; empty parts are
// left out.
func joinPEM(parts ...[]byte) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		if len(p) == 0 {
			continue
		}
		b.Write(p)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// exportCacheSize bounds the exports a client keeps: beyond it, an arbitrary one is dropped
// and exported again when next read.
const exportCacheSize = 256

// exportCache holds, per certificate ARN, the last export and the fingerprint of the
// certificate it was made from.
type exportCache struct {
	mu      sync.Mutex
	entries map[string]exportEntry
}

type exportEntry struct {
	fingerprint [sha256.Size]byte
	exported    exportedCertificate
}

func newExportCache() *exportCache { return &exportCache{entries: map[string]exportEntry{}} }

func (c *exportCache) get(arn string, fingerprint [sha256.Size]byte) (exportedCertificate, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[arn]
	if !ok || e.fingerprint != fingerprint {
		return exportedCertificate{}, false
	}
	return e.exported, true
}

func (c *exportCache) put(arn string, fingerprint [sha256.Size]byte, b exportedCertificate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[arn]; !ok && len(c.entries) >= exportCacheSize {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[arn] = exportEntry{fingerprint: fingerprint, exported: b}
}
