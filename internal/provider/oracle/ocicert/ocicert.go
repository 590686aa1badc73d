package ocicert

import (
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"strings"
)

// Tenancy returns the tenancy OCID an instance certificate names in its subject
// (opc-tenant:<ocid>), or "".
func Tenancy(c *x509.Certificate) string {
	for _, name := range c.Subject.Names {
		if v, ok := name.Value.(string); ok {
			if tenancy, found := strings.CutPrefix(v, "opc-tenant:"); found {
				return tenancy
			}
		}
	}
	return ""
}

// Fingerprint is the certificate's SHA-256 fingerprint, in colon-separated lower-case hex.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(hexes, ":")
}
