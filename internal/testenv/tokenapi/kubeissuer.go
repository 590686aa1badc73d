package tokenapi

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// KubeClaims are the claims of a ServiceAccount token that a relying party reads.
type KubeClaims struct {
	Issuer   string
	Subject  string // system:serviceaccount:<namespace>:<name>
	Audience []string
	Expiry   time.Time
}

// KubeIssuer verifies ServiceAccount tokens the way a service federated with the cluster's
// OIDC issuer does (Quay's robot federation, Cloudsmith's OIDC, Azure and GCP workload
// identity): with the issuer named in the API server's discovery document and the keys of
// its JSON Web Key Set, both read from the API server at start.
type KubeIssuer struct {
	Issuer string
	keys   map[string]crypto.PublicKey
}

// NewKubeIssuer reads the discovery document and keys of the API server cfg reaches.
func NewKubeIssuer(cfg *rest.Config) (*KubeIssuer, error) {
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	host := strings.TrimRight(cfg.Host, "/")
	var discovery struct {
		Issuer string `json:"issuer"`
	}
	if err := getJSON(httpClient, host+"/.well-known/openid-configuration", &discovery); err != nil {
		return nil, err
	}
	var jwks struct {
		Keys []struct {
			Kty, Kid, N, E, Crv, X, Y string
		} `json:"keys"`
	}
	if err := getJSON(httpClient, host+"/openid/v1/jwks", &jwks); err != nil {
		return nil, err
	}
	k := &KubeIssuer{Issuer: discovery.Issuer, keys: map[string]crypto.PublicKey{}}
	for _, key := range jwks.Keys {
		n, errN := base64.RawURLEncoding.DecodeString(key.N)
		e, errE := base64.RawURLEncoding.DecodeString(key.E)
		x, errX := base64.RawURLEncoding.DecodeString(key.X)
		y, errY := base64.RawURLEncoding.DecodeString(key.Y)
		switch {
		case key.Kty == "RSA" && errN == nil && errE == nil:
			k.keys[key.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		case key.Kty == "EC" && key.Crv == "P-256" && errX == nil && errY == nil && len(x) == 32 && len(y) == 32:
			point := append(append([]byte{4}, x...), y...)
			if public, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point); err == nil {
				k.keys[key.Kid] = public
			}
		}
	}
	if k.Issuer == "" || len(k.keys) == 0 {
		return nil, fmt.Errorf("the API server publishes no OIDC issuer or no RS256/ES256 key (issuer %q, %d keys)", k.Issuer, len(jwks.Keys))
	}
	return k, nil
}

func getJSON(httpClient *http.Client, url string, into any) error {
	resp, err := httpClient.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.Unmarshal(body, into)
}

// Verify checks a token's signature (RS256 or ES256) against the issuer's keys against the issuer's keys, its issuer and its
// expiry, and returns its claims; the error says what is wrong, never the token.
func (k *KubeIssuer) Verify(token string) (*KubeClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	var header struct{ Alg, Kid string }
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp int64           `json:"exp"`
	}
	if decodeSegment(parts[0], &header) != nil || decodeSegment(parts[1], &claims) != nil {
		return nil, errors.New("the JWT does not decode")
	}
	signature, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !verifySignature(k.keys[header.Kid], header.Alg, parts[0]+"."+parts[1], signature) {
		return nil, fmt.Errorf("the JWT's signature does not verify with the keys of issuer %s", k.Issuer)
	}
	if claims.Iss != k.Issuer {
		return nil, fmt.Errorf("issuer %s is not trusted", claims.Iss)
	}
	expiry := time.Unix(claims.Exp, 0)
	if !time.Now().Before(expiry) {
		return nil, errors.New("the JWT has expired")
	}
	var audience []string
	if json.Unmarshal(claims.Aud, &audience) != nil {
		var one string
		if json.Unmarshal(claims.Aud, &one) != nil {
			return nil, errors.New("the JWT's aud claim is neither a string nor a list")
		}
		audience = []string{one}
	}
	return &KubeClaims{Issuer: claims.Iss, Subject: claims.Sub, Audience: audience, Expiry: expiry}, nil
}

// verifySignature checks an RS256 or ES256 signature of signed with key.
func verifySignature(key crypto.PublicKey, alg, signed string, signature []byte) bool {
	digest := sha256.Sum256([]byte(signed))
	switch key := key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256" && rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], signature) == nil
	case *ecdsa.PublicKey:
		if alg != "ES256" || len(signature) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(signature[:32]), new(big.Int).SetBytes(signature[32:])
		return ecdsa.Verify(key, digest[:], r, s)
	}
	return false
}

// ServiceAccountSubject is the sub claim of the tokens of a ServiceAccount.
func ServiceAccountSubject(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// HasAudience says whether the claims name audience.
func (c *KubeClaims) HasAudience(audience string) bool { return slices.Contains(c.Audience, audience) }
