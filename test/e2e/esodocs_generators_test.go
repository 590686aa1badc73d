package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // TOTP (RFC 6238) is defined over HMAC-SHA1 by default.
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"golang.org/x/crypto/ssh"

	"github.com/ferryhq/ferry/internal/testenv"
)

// mfaSeed is the base32 seed of the MFA generator's Secret: RFC 6238's SHA-1 test key.
const mfaSeed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// TestESODocsGenerators applies one ExternalSecret per generator that needs no outside
// service, a ClusterGenerator among them (and VaultDynamicSecret against a Vault dev server, ECRAuthorizationToken and
// STSSessionToken against moto), each shaped as ESO's generator snippets, and checks the keys
// and shapes ESO's generator pages document; then the PushSecret of ESO's generator rotation
// example pushes a Password to Parameter Store.
func TestESODocsGenerators(t *testing.T) {
	moto := testenv.MustStartMoto(t)
	vault := testenv.MustStartVault(t)
	vault.MustDo(t, "POST", "sys/mounts/pki", map[string]any{"type": "pki"}, nil)
	vault.MustDo(t, "POST", "pki/root/generate/internal", map[string]any{"common_name": "esodocs.example", "ttl": "24h"}, nil)
	vault.MustDo(t, "POST", "pki/roles/example-dot-com", map[string]any{"allowed_domains": "localhost",
		"allow_bare_domains": true, "allow_localhost": true, "max_ttl": "1h"}, nil)
	startFerry(t, motoEnv(moto))
	applyESODoc(t, "generators.yaml", map[string]string{"MFA_SEED": mfaSeed, "VAULT_ADDR": vault.Address,
		"VAULT_TOKEN": testenv.VaultRootToken})
	const ns = "esodocs-generators"
	generators := map[string]string{
		"strong-password": "Password", "password-hex": "Password", "password-raw": "Password",
		"my-uuid": "UUID", "example-ssh-key": "SSHKey", "example-ssh-key-ed25519": "SSHKey",
		"my-mfa-generator": "MFA", "fake-gen": "Fake", "pki-example": "VaultDynamicSecret",
		"ecr-gen": "ECRAuthorizationToken", "sts-gen": "STSSessionToken", "cluster-gen": "ClusterGenerator",
	}
	for name, kind := range generators {
		applyESODoc(t, "generator-externalsecrets.yaml", map[string]string{"NAME": name, "KIND": kind})
	}

	t.Run("Password", func(t *testing.T) {
		password := waitSecretKeys(t, 30*time.Second, ns, "strong-password", "password")["password"]
		assertPasswordShape(t, password)
		if got := waitSecretKeys(t, 10*time.Second, ns, "password-hex", "password")["password"]; !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got) {
			t.Errorf("a 16-character password in hex is %d characters, not 32 hex digits", len(got))
		}
		if got := waitSecretKeys(t, 10*time.Second, ns, "password-raw", "password")["password"]; len(got) != 12 {
			t.Errorf("a raw password of length 12 has %d bytes", len(got))
		}
	})
	t.Run("ClusterGenerator", func(t *testing.T) {
		got := waitSecretKeys(t, 30*time.Second, ns, "cluster-gen", "password")["password"]
		if !regexp.MustCompile(`^[a-z0-9+=]{42}$`).MatchString(got) || len(regexp.MustCompile(`[0-9]`).FindAllString(got, -1)) != 5 ||
			len(regexp.MustCompile(`[+=]`).FindAllString(got, -1)) != 5 {
			t.Errorf("the ClusterGenerator's password (%d characters) is not 42 lower-case letters, 5 digits and 5 of +=", len(got))
		}
	})
	t.Run("UUID", func(t *testing.T) {
		got := waitSecretKeys(t, 30*time.Second, ns, "my-uuid", "uuid")["uuid"]
		if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got) {
			t.Errorf("uuid %q is not a version 4 UUID", got)
		}
	})
	t.Run("SSHKey", func(t *testing.T) {
		assertSSHKeyPair(t, waitSecretKeys(t, 30*time.Second, ns, "example-ssh-key", "privateKey", "publicKey"), ssh.KeyAlgoRSA, 2048)
		assertSSHKeyPair(t, waitSecretKeys(t, 30*time.Second, ns, "example-ssh-key-ed25519", "privateKey", "publicKey"), ssh.KeyAlgoED25519, 0)
	})
	t.Run("MFA", func(t *testing.T) {
		before := time.Now()
		data := waitSecretKeys(t, 30*time.Second, ns, "my-mfa-generator", "token", "timeLeft")
		if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(data["token"]) {
			t.Fatalf("token %q is not 6 digits", data["token"])
		}
		matched := false
		for at := before.Add(-2 * time.Minute); !at.After(time.Now().Add(30 * time.Second)); at = at.Add(30 * time.Second) {
			matched = matched || totp(t, mfaSeed, at) == data["token"]
		}
		if !matched {
			t.Errorf("token %s is not the TOTP of the seed at any 30 s step around the sync", data["token"])
		}
		if left, err := strconv.Atoi(data["timeLeft"]); err != nil || left < 0 || left > 30 {
			t.Errorf("timeLeft %q is not the seconds left in a 30 s period", data["timeLeft"])
		}
	})
	t.Run("Fake", func(t *testing.T) {
		data := waitSecretKeys(t, 30*time.Second, ns, "fake-gen", "foo", "baz")
		if len(data) != 2 || data["foo"] != "bar" || data["baz"] != "bang" {
			t.Errorf("Fake wrote %v, want foo=bar and baz=bang", data)
		}
	})
	t.Run("VaultDynamicSecret", func(t *testing.T) {
		data := waitSecretKeys(t, 30*time.Second, ns, "pki-example", "certificate", "private_key", "issuing_ca", "serial_number")
		cert, ca := parseCertificate(t, data["certificate"]), parseCertificate(t, data["issuing_ca"])
		if cert.Subject.CommonName != "localhost" {
			t.Errorf("certificate issued for %q, want localhost", cert.Subject.CommonName)
		}
		if err := cert.CheckSignatureFrom(ca); err != nil {
			t.Errorf("certificate not signed by the issuing_ca written beside it: %v", err)
		}
		if block, _ := pem.Decode([]byte(data["private_key"])); block == nil {
			t.Error("private_key is not PEM")
		}
		if n := vault.CallsMatching("pki/issue/example-dot-com"); n != 1 {
			t.Errorf("Vault was asked %d times for one sync, want 1", n)
		}
	})
	t.Run("ECRAuthorizationToken", func(t *testing.T) {
		data := waitSecretKeys(t, 30*time.Second, ns, "ecr-gen", "username", "password", "proxy_endpoint", "expires_at")
		// What ECR answers the same account (moto's answer does not change between calls).
		registries := ecr.NewFromConfig(testAWSConfig(t), func(o *ecr.Options) { o.BaseEndpoint = aws.String(moto.Endpoint) })
		answer, err := registries.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
		if err != nil || len(answer.AuthorizationData) == 0 {
			t.Fatalf("asking moto for a token: %v", err)
		}
		auth := answer.AuthorizationData[0]
		login, err := base64.StdEncoding.DecodeString(aws.ToString(auth.AuthorizationToken))
		if err != nil {
			t.Fatal(err)
		}
		if got := data["username"] + ":" + data["password"]; got != string(login) {
			t.Errorf("username and password are not the user:password of ECR's token (%d bytes, want %d)", len(got), len(login))
		}
		if data["username"] != "AWS" {
			t.Errorf("username %q, want AWS", data["username"])
		}
		if data["proxy_endpoint"] != aws.ToString(auth.ProxyEndpoint) {
			t.Errorf("proxy_endpoint %q, ECR answered %q", data["proxy_endpoint"], aws.ToString(auth.ProxyEndpoint))
		}
		if want := strconv.FormatInt(aws.ToTime(auth.ExpiresAt).Unix(), 10); data["expires_at"] != want {
			t.Errorf("expires_at %q, want ECR's expiresAt in Unix seconds %s", data["expires_at"], want)
		}
	})
	t.Run("STSSessionToken", func(t *testing.T) {
		data := waitSecretKeys(t, 30*time.Second, ns, "sts-gen", "access_key_id", "secret_access_key", "session_token", "expiration")
		for _, key := range []string{"access_key_id", "secret_access_key", "session_token"} {
			if data[key] == "" {
				t.Errorf("%s is empty", key)
			}
		}
		assertUnixSecondsAhead(t, "expiration", data["expiration"])
		if moto.Calls("GetSessionToken") == 0 {
			t.Errorf("moto saw no GetSessionToken: %s", moto)
		}
	})
	t.Run("PushSecret generatorRef", func(t *testing.T) {
		params := parameterStore(t, moto.Endpoint)
		var pushed string
		testenv.Eventually(t, 30*time.Second, "a generated password at prod/myql/password", func() (bool, error) {
			pushed = parameterValue(params, "prod/myql/password")
			return pushed != "", fmt.Errorf("PushSecret status: %s", jsonpathOf(ns, "pushsecret", "pushsecret-example", "{.status.conditions}"))
		})
		assertPasswordShape(t, pushed)
		waitReadyReason(t, 10*time.Second, ns, "pushsecret", "pushsecret-example", "Synced")
	})
}

// assertPasswordShape checks a password of the strong-password generator: 128 characters,
// exactly 5 digits and 5 symbols of "-_$@", letters otherwise.
func assertPasswordShape(t *testing.T, password string) {
	t.Helper()
	var digits, symbols, letters int
	for _, r := range password {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("-_$@", r):
			symbols++
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letters++
		}
	}
	if len(password) != 128 || digits != 5 || symbols != 5 || letters != 118 {
		t.Errorf("password of %d characters with %d digits, %d symbols, %d letters; want 128, 5, 5, 118",
			len(password), digits, symbols, letters)
	}
}

// assertSSHKeyPair checks an SSHKey generator's output: an OpenSSH private key, an
// authorized_keys line of algorithm with the comment, the two of one pair, and the RSA size.
func assertSSHKeyPair(t *testing.T, data map[string]string, algorithm string, rsaBits int) {
	t.Helper()
	if !strings.HasPrefix(data["privateKey"], "-----BEGIN OPENSSH PRIVATE KEY-----") {
		t.Errorf("%s privateKey is not in OpenSSH format", algorithm)
	}
	signer, err := ssh.ParsePrivateKey([]byte(data["privateKey"]))
	if err != nil {
		t.Fatalf("%s privateKey does not parse: %v", algorithm, err)
	}
	public, comment, _, _, err := ssh.ParseAuthorizedKey([]byte(data["publicKey"]))
	if err != nil {
		t.Fatalf("%s publicKey is not an authorized_keys line: %v", algorithm, err)
	}
	if public.Type() != algorithm || comment != "user@example.com" {
		t.Errorf("publicKey is %s with comment %q, want %s with user@example.com", public.Type(), comment, algorithm)
	}
	if string(signer.PublicKey().Marshal()) != string(public.Marshal()) {
		t.Errorf("%s privateKey and publicKey are not one pair", algorithm)
	}
	if rsaBits > 0 {
		key, ok := public.(ssh.CryptoPublicKey).CryptoPublicKey().(*rsa.PublicKey)
		if !ok || key.N.BitLen() != rsaBits {
			t.Errorf("RSA key is not of %d bits", rsaBits)
		}
	}
}

func parseCertificate(t *testing.T, text string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		t.Fatal("not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func assertUnixSecondsAhead(t *testing.T, key, value string) {
	t.Helper()
	unix, err := strconv.ParseInt(value, 10, 64)
	if err != nil || !time.Unix(unix, 0).After(time.Now()) {
		t.Errorf("%s %q is not Unix seconds in the future", key, value)
	}
}

// totp is RFC 6238's 6-digit TOTP of a base32 seed at an instant, with 30 s steps and SHA-1.
func totp(t *testing.T, seed string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.DecodeString(seed)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha1.New, key)
	_ = binary.Write(mac, binary.BigEndian, uint64(at.Unix()/30))
	sum := mac.Sum(nil)
	offset := sum[len(sum)-1] & 0x0f
	code := binary.BigEndian.Uint32(sum[offset:offset+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", code%1_000_000)
}
