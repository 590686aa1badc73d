package oracle

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oracle/oci-go-sdk/v65/common"
	"github.com/oracle/oci-go-sdk/v65/common/auth"
)

var signatureOf = regexp.MustCompile(`signature="([^"]*)"`)
var headersOf = regexp.MustCompile(`headers="([^"]*)"`)

// TestSignatureMatchesOCISDK: Oracle's own Go SDK, signing the same request with the same
// key at the same time, produces the same signed headers and the same signature (RSA
// PKCS#1 v1.5 signatures are deterministic), and the in-process OCI accepts the SDK's
// signature. This checks the signer and the server's verifier against an implementation
// that is not Ferry's.
func TestSignatureMatchesOCISDK(t *testing.T) {
	f := startOCI(t)
	f.AddKey(testKeyID, &apiKey(t, 0).PublicKey)
	f.Put("db", []byte("v"), nil)
	keyPEM := string(pkcs1PEM(apiKey(t, 0)))
	at := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)
	ours, err := newSigner(testTenancy, testUser, testFingerprint, []byte(keyPEM), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	sdk := common.DefaultRequestSigner(common.NewRawConfigurationProvider(testTenancy, testUser, "us-ashburn-1", testFingerprint, keyPEM, nil))
	target := f.Servers[secretsService].URL + "/20190301/secretbundles/actions/getByName?secretName=db&vaultId=" + fakeVault
	for _, tt := range []struct {
		method, url string
		body        []byte
	}{
		{http.MethodGet, target, nil},
		{http.MethodPost, f.Servers[vaultsService].URL + "/20180608/secrets", []byte(`{"secretName":"db"}`)},
	} {
		build := func() *http.Request {
			req, err := http.NewRequest(tt.method, tt.url, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body == nil {
				req.Body, req.ContentLength = http.NoBody, 0
			} else {
				req.Header.Set("Content-Type", "application/json")
			}
			return req
		}
		mine := build()
		if err := ours.sign(mine); err != nil {
			t.Fatal(err)
		}
		theirs := build()
		theirs.Header.Set("Date", mine.Header.Get("Date"))
		if err := sdk.Sign(theirs); err != nil {
			t.Fatalf("the SDK's signer: %v", err)
		}
		a, b := mine.Header.Get("Authorization"), theirs.Header.Get("Authorization")
		if headersOf.FindStringSubmatch(a)[1] != headersOf.FindStringSubmatch(b)[1] || signatureOf.FindStringSubmatch(a)[1] != signatureOf.FindStringSubmatch(b)[1] {
			t.Errorf("%s: Ferry signs %s\nthe SDK signs %s", tt.method, a, b)
		}
	}

	// The SDK's own signature, dated now (its client sets Date before signing), passes the
	// in-process OCI.
	req, _ := http.NewRequest(http.MethodGet, target, http.NoBody)
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if err := sdk.Sign(req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the in-process OCI answers the SDK's request with HTTP %d, want 200: %s", resp.StatusCode, body)
	}
}

// TestInstancePrincipalMatchesOCISDK: Oracle's own Go SDK, pointed at the in-process
// metadata and auth services (OCI_METADATA_BASE_URL, OCI_SDK_AUTH_CLIENT_REGION_URL),
// obtains an instance principal token from them, and a request it signs with that token is
// accepted. This checks the in-process services against an implementation that is not
// Ferry's; Ferry's own client passes the same services in TestInstancePrincipal.
func TestInstancePrincipalMatchesOCISDK(t *testing.T) {
	f := startOCI(t)
	f.Put("db", []byte("v"), nil)
	t.Setenv("OCI_METADATA_BASE_URL", f.Servers[metadataService].URL+"/opc/v2")
	t.Setenv("OCI_SDK_AUTH_CLIENT_REGION_URL", f.Servers[authService].URL)
	t.Setenv("OCI_SDK_AUTH_CLIENT_CIRCUIT_BREAKER_ENABLED", "false")
	sdk, err := auth.InstancePrincipalConfigurationProvider()
	if err != nil {
		t.Fatalf("the SDK's instance principal: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, f.Servers[secretsService].URL+"/20190301/secretbundles/actions/getByName?secretName=db&vaultId="+fakeVault, http.NoBody)
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if err := common.DefaultRequestSigner(sdk).Sign(req); err != nil {
		t.Fatalf("the SDK's signer: %v", err)
	}
	if !strings.Contains(req.Header.Get("Authorization"), `keyId="ST$`) {
		t.Errorf("the SDK signed without a security token: %s", req.Header.Get("Authorization"))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || f.Count("x509") != 1 {
		t.Errorf("the in-process OCI answers the SDK's request with HTTP %d after %d federations, want 200 after 1: %s", resp.StatusCode, f.Count("x509"), body)
	}
}
