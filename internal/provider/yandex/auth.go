package yandex

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	iamv1 "github.com/yandex-cloud/go-genproto/yandex/cloud/iam/v1"
	"google.golang.org/grpc/codes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/credcache"
	"github.com/ferryhq/ferry/internal/redact"
)

// iamAudience is the audience IAM requires in a service account's JWT.
const iamAudience = "https://iam.api.cloud.yandex.net/iam/v1/tokens"

// tokenRefresh is how often IAM tokens are replaced at most, as Yandex's IAM guide
// recommends.
const tokenRefresh = time.Hour

// jwtLifetime is how long a signed JWT may be exchanged; IAM accepts at most an hour.
const jwtLifetime = time.Hour

// authorizedKey is the JSON file `yc iam key create` writes for a service account: the
// key's ID, the account's ID and the PEM private key.
type authorizedKey struct {
	ID               string `json:"id"`
	ServiceAccountID string `json:"service_account_id"`
	UserAccountID    string `json:"user_account_id"`
	PrivateKey       string `json:"private_key"`

	signer *rsa.PrivateKey
}

// readAuthorizedKey reads and parses the authorized key the store names. Errors say what
// is missing from the file, never its content.
func readAuthorizedKey(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace, field string,
	ref esv1.SecretKeySelector) (*authorizedKey, error) {
	raw, err := provider.SecretKeyValue(ctx, kube, store, namespace, ref, field)
	if err != nil {
		return nil, err
	}
	key, err := parseAuthorizedKey(raw, field)
	if err != nil {
		return nil, err
	}
	// The Secret's value is remembered as JSON text; the PEM itself, with real newlines,
	// is another form of it.
	redact.RememberCredentialString(key.PrivateKey)
	return key, nil
}

func parseAuthorizedKey(raw []byte, field string) (*authorizedKey, error) {
	const want = "put the JSON file of `yc iam key create --service-account-name <name> --output key.json` in it"
	var key authorizedKey
	if err := json.Unmarshal(raw, &key); err != nil {
		return nil, fmt.Errorf("%s: the Secret's key is not the JSON of an authorized key: %s", field, want)
	}
	switch {
	case key.ID == "":
		return nil, fmt.Errorf("%s: the authorized key has no id; %s", field, want)
	case key.ServiceAccountID == "" && key.UserAccountID != "":
		return nil, fmt.Errorf("%s: the authorized key is a user account's; Yandex Cloud IAM issues tokens for a service account's key: %s", field, want)
	case key.ServiceAccountID == "":
		return nil, fmt.Errorf("%s: the authorized key has no service_account_id; %s", field, want)
	}
	// The file's private_key may start with a line of text ("PLEASE DO NOT REMOVE THIS
	// LINE! ...") before the PEM block: pem.Decode skips it.
	block, _ := pem.Decode([]byte(key.PrivateKey))
	if block == nil {
		return nil, fmt.Errorf("%s: the authorized key's private_key holds no PEM block; %s", field, want)
	}
	signer, err := parseRSAKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: the authorized key's private_key: %w", field, err)
	}
	key.signer = signer
	return &key, nil
}

func parseRSAKey(der []byte) (*rsa.PrivateKey, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("not a PKCS #8 or PKCS #1 private key")
	}
	rsaKey, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key; Yandex Cloud authorized keys are RSA_2048 or RSA_4096")
	}
	return rsaKey, nil
}

// jwt returns the token IAM exchanges for an IAM token: PS256, the key's ID as kid, the
// service account as issuer, IAM's token URL as audience.
func (k *authorizedKey) jwt(now time.Time) (string, error) {
	header, err := json.Marshal(map[string]string{"typ": "JWT", "alg": "PS256", "kid": k.ID})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"iss": k.ServiceAccountID, "aud": iamAudience,
		"iat": now.Unix(), "exp": now.Add(jwtLifetime).Unix(),
	})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPSS(rand.Reader, k.signer, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	if err != nil {
		return "", fmt.Errorf("signing the JWT with the authorized key: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}

// iamLogin returns the login that exchanges a fresh JWT for an IAM token at the IAM
// address the API endpoint service gives. It dials for each login: logins are hours apart,
// and the token outlives the client that asked for it.
func iamLogin(api *dialer, key *authorizedKey, now func() time.Time) credcache.Login {
	return func(ctx context.Context) (credcache.Token, error) {
		signed, err := key.jwt(now())
		if err != nil {
			return credcache.Token{}, err
		}
		conn, err := api.dialService(ctx, iamEndpointID)
		if err != nil {
			return credcache.Token{}, fmt.Errorf("getting an IAM token: %w", err)
		}
		defer func() { _ = conn.Close() }()
		resp, err := iamv1.NewIamTokenServiceClient(conn).Create(ctx, &iamv1.CreateIamTokenRequest{
			Identity: &iamv1.CreateIamTokenRequest_Jwt{Jwt: signed},
		})
		if err != nil {
			return credcache.Token{}, fmt.Errorf("getting an IAM token for authorized key %s of service account %s: %w",
				key.ID, key.ServiceAccountID, describe(err, iamHint))
		}
		if resp.GetIamToken() == "" {
			return credcache.Token{}, errors.New("getting an IAM token: IAM answered without iam_token")
		}
		tok := credcache.Token{Value: resp.GetIamToken(), Expiry: resp.GetExpiresAt().AsTime()}
		// A token lives up to 12 hours, but Yandex recommends a new one every hour: the
		// cache, which replaces a token after two thirds of the life it is told, is told
		// at most an hour and a half.
		if limit := now().Add(3 * tokenRefresh / 2); resp.GetExpiresAt() == nil || tok.Expiry.After(limit) {
			tok.Expiry = limit
		}
		return tok, nil
	}
}

func iamHint(code codes.Code) string {
	switch code {
	case codes.Unauthenticated, codes.PermissionDenied, codes.InvalidArgument, codes.NotFound:
		return "IAM did not accept the authorized key: check that the key in auth.authorizedKeySecretRef is the whole JSON file, " +
			"that the key is not deleted, and that the service account exists"
	}
	return ""
}
