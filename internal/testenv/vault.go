package testenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// VaultRootToken is the root token of every dev server StartVault starts.
const VaultRootToken = "root"

// VaultHint tells a developer how to get the vault binary when it is missing.
const VaultHint = "run 'hack/tools.sh vault' (or 'make tools') to build it"

// Vault is a running `vault server -dev`, behind a counting proxy unless it serves TLS. Address is the proxy's
// URL: point every client under test at it, so requests are counted at the server side of
// Ferry. Direct is the server's own address, for seeding data without counting it.
type Vault struct {
	Address string
	Direct  string
	// CACert is the PEM CA of a StartVaultTLS server.
	CACert  []byte
	cmd     *exec.Cmd
	server  *http.Server
	certDir string
	http    *http.Client

	mu       sync.Mutex
	calls    map[string]int
	requests []*http.Request
}

// VaultBinary returns the path of the vault binary: $FERRY_VAULT, or vault in the
// repository's .cache/bin. It fails with the command that builds it when missing.
func VaultBinary() (string, error) {
	if path := os.Getenv("FERRY_VAULT"); path != "" {
		return path, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, ".cache", "bin", "vault")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("vault not found in %s: %s", filepath.Dir(path), VaultHint)
	}
	return path, nil
}

// StartVault starts a Vault dev server (KV v2 mounted at secret/, root token
// VaultRootToken, data in memory) on a free loopback port, with a counting proxy in front.
// Call Stop when done.
func StartVault() (*Vault, error) {
	v, err := startVault(false)
	if err != nil {
		return nil, err
	}
	if v.server, v.Address, err = serveProxy(v.Direct, v.count); err != nil {
		_ = v.Stop()
		return nil, err
	}
	return v, nil
}

// StartVaultTLS starts a Vault dev server that serves HTTPS with a certificate of its own
// CA (CACert), and asks clients for certificates, so TLS settings and the cert auth method
// can be tested. There is no proxy in front: Address and Direct are the server's address,
// and nothing is counted.
func StartVaultTLS() (*Vault, error) {
	return startVault(true)
}

func startVault(withTLS bool) (*Vault, error) {
	bin, err := VaultBinary()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"server", "-dev", "-dev-root-token-id=" + VaultRootToken,
		"-dev-listen-address=" + listen, "-dev-no-store-token", "-log-level=warn"}
	scheme := "http"
	var certDir string
	if withTLS {
		if certDir, err = os.MkdirTemp("", "ferry-vault-tls-"); err != nil {
			return nil, err
		}
		args = append(args, "-dev-tls", "-dev-tls-cert-dir="+certDir)
		scheme = "https"
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "VAULT_ADDR="+scheme+"://"+listen, "HOME="+os.TempDir())
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if os.Getenv("FERRY_VAULT_LOG") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting vault: %w", err)
	}
	v := &Vault{Direct: scheme + "://" + listen, cmd: cmd, calls: map[string]int{}, certDir: certDir, http: http.DefaultClient}
	v.Address = v.Direct
	if withTLS {
		if err := v.loadCA(30 * time.Second); err != nil {
			_ = v.Stop()
			return nil, err
		}
	}
	if err := v.waitReady(30 * time.Second); err != nil {
		_ = v.Stop()
		return nil, fmt.Errorf("vault did not come up: %w", err)
	}
	return v, nil
}

// loadCA waits for the dev server to write its CA and trusts it for Do.
func (v *Vault) loadCA(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ca, err := os.ReadFile(filepath.Join(v.certDir, "vault-ca.pem"))
		if err == nil && len(ca) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return errors.New("vault-ca.pem holds no certificate")
			}
			v.CACert = ca
			v.http = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("vault did not write its CA: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// MustStartVault starts a Vault dev server for one test and stops it at the end. A missing
// binary fails the test with the build hint; it is never skipped.
func MustStartVault(t testing.TB) *Vault {
	t.Helper()
	v, err := StartVault()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = v.Stop() })
	return v
}

func (v *Vault) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		// Unsealed and active: the dev server has mounted secret/ by then.
		resp, err := v.http.Get(v.Direct + "/v1/sys/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("health: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the proxy and the server.
func (v *Vault) Stop() error {
	if v.server != nil {
		_ = v.server.Close()
	}
	if v.cmd != nil && v.cmd.Process != nil {
		_ = v.cmd.Process.Kill()
		_ = v.cmd.Wait()
	}
	if v.certDir != "" {
		_ = os.RemoveAll(v.certDir)
	}
	return nil
}

// Calls returns how many requests with this method and path (e.g.
// "POST /v1/auth/approle/login", "GET /v1/secret/data/app") reached the server.
func (v *Vault) Calls(methodAndPath string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.calls[methodAndPath]
}

// CallsMatching returns how many requests reached the server whose "METHOD /path" line
// contains substr, e.g. "/login" counts every login of any auth method.
func (v *Vault) CallsMatching(substr string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := 0
	for k, c := range v.calls {
		if strings.Contains(k, substr) {
			n += c
		}
	}
	return n
}

// Requests returns clones of the requests (method, URL, headers; no body) that reached the
// server through the proxy, oldest first.
func (v *Vault) Requests() []*http.Request {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]*http.Request(nil), v.requests...)
}

// ResetCalls forgets every counted request.
func (v *Vault) ResetCalls() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls = map[string]int{}
	v.requests = nil
}

// String lists the counters, sorted, for failure messages.
func (v *Vault) String() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	keys := make([]string, 0, len(v.calls))
	for k := range v.calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d; ", k, v.calls[k])
	}
	return strings.TrimSuffix(b.String(), "; ")
}

func (v *Vault) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := r.Method
		if r.URL.Query().Get("list") == "true" {
			method = "LIST"
		}
		v.mu.Lock()
		v.calls[method+" "+r.URL.Path]++
		v.requests = append(v.requests, r.Clone(context.Background()))
		v.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// Do sends one request to the server directly (not counted) with the root token and
// decodes the JSON response into out when out is not nil. body is encoded as JSON.
func (v *Vault) Do(ctx context.Context, method, path string, body, out any) error {
	var reader io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, v.Direct+"/v1/"+strings.TrimPrefix(path, "/"), reader)
	if err != nil {
		return err
	}
	req.Header.Set("X-Vault-Token", VaultRootToken)
	resp, err := v.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("vault %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(raw))
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// MustDo is Do for tests: it fails t on any error.
func (v *Vault) MustDo(t testing.TB, method, path string, body, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := v.Do(ctx, method, path, body, out); err != nil {
		t.Fatal(err)
	}
}
