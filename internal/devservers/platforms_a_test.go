package devservers

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// TestOperatorReachesDoppler: the environment OperatorEnv gives the operator points
// DOPPLER_BASE_URL at the loopback stand-in and trusts its certificate through
// SSL_CERT_FILE, next to OCI's CA, so that a download with the manifests' service token
// answers the seeded config.
func TestOperatorReachesDoppler(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	env, err := s.OperatorEnv(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	if !strings.HasPrefix(vars["DOPPLER_BASE_URL"], "https://127.0.0.1:") {
		t.Fatalf("DOPPLER_BASE_URL = %q, want the loopback stand-in", vars["DOPPLER_BASE_URL"])
	}
	caPEM, err := os.ReadFile(vars["SSL_CERT_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) || strings.Count(string(caPEM), "BEGIN CERTIFICATE") < 2 {
		t.Fatalf("SSL_CERT_FILE holds %d certificates, want OCI's CA and Doppler's", strings.Count(string(caPEM), "BEGIN CERTIFICATE"))
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequest(http.MethodGet, vars["DOPPLER_BASE_URL"]+"/v3/configs/config/secrets/download?format=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+dopplerServiceToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("the stand-in through the operator's CA file: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"API_KEY":"dp-api-key-8b3e"`) {
		t.Errorf("download = HTTP %d with %d bytes; want 200 with the seeded API_KEY", resp.StatusCode, len(body))
	}
}
