package yandex

import (
	"context"
	"fmt"
	"strings"

	cm "github.com/yandex-cloud/go-genproto/yandex/cloud/certificatemanager/v1"
	"google.golang.org/grpc"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// The properties ESO gives a certificate.
const (
	propertyChain              = "chain"
	propertyPrivateKey         = "privateKey"
	propertyChainAndPrivateKey = "chainAndPrivateKey"
)

// CertificateClient reads the certificates of Yandex Certificate Manager for one store.
type CertificateClient struct {
	*session
}

var _ provider.Client = (*CertificateClient)(nil)

// content reads the chain and private key of the version of the certificate key names (its
// current version when version is empty): by ID with CertificateContentService.Get, or by
// name in the store's folder with GetEx.
func (c *CertificateClient) content(ctx context.Context, key, version string) (chain []string, privateKey string, err error) {
	err = c.call(ctx, key, func(ctx context.Context, conn *grpc.ClientConn) error {
		contents := cm.NewCertificateContentServiceClient(conn)
		if c.byName() {
			resp, err := contents.GetEx(ctx, &cm.GetExCertificateContentRequest{
				Identifier: &cm.GetExCertificateContentRequest_FolderAndName{FolderAndName: &cm.FolderAndName{FolderId: c.folderID, CertificateName: key}},
				VersionId:  version,
			})
			if err != nil {
				return err
			}
			chain, privateKey = resp.GetCertificateChain(), resp.GetPrivateKey()
			return nil
		}
		resp, err := contents.Get(ctx, &cm.GetCertificateContentRequest{CertificateId: key, VersionId: version})
		if err != nil {
			return err
		}
		chain, privateKey = resp.GetCertificateChain(), resp.GetPrivateKey()
		return nil
	})
	return chain, privateKey, err
}

// trimmedLines gives each part without its surrounding white space and ending in one
// newline, as ESO writes a certificate's chain and key.
func trimmedLines(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strings.TrimSpace(p))
		b.WriteByte('\n')
	}
	return b.String()
}

// GetSecret returns, as ESO, the PEM chain then the private key when ref.Property is empty
// or chainAndPrivateKey, or the one ref.Property names: chain or privateKey.
func (c *CertificateClient) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	switch ref.Property {
	case "", propertyChain, propertyPrivateKey, propertyChainAndPrivateKey:
	default:
		return nil, fmt.Errorf("remoteRef.property %q: a certificate gives %s, %s or %s (or, without a property, the chain and the private key)",
			ref.Property, propertyChain, propertyPrivateKey, propertyChainAndPrivateKey)
	}
	chain, privateKey, err := c.content(ctx, ref.Key, ref.Version)
	if err != nil {
		return nil, err
	}
	chainPEM, keyPEM := trimmedLines(chain...), trimmedLines(privateKey)
	switch ref.Property {
	case propertyChain:
		return []byte(chainPEM), nil
	case propertyPrivateKey:
		return []byte(keyPEM), nil
	}
	return []byte(trimmedLines(chainPEM, keyPEM)), nil
}

// GetSecretMap returns the keys chain (the certificates joined by newlines) and privateKey,
// as ESO gives them: untrimmed.
func (c *CertificateClient) GetSecretMap(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	chain, privateKey, err := c.content(ctx, ref.Key, ref.Version)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		propertyChain:      []byte(strings.Join(chain, "\n")),
		propertyPrivateKey: []byte(privateKey),
	}, nil
}
