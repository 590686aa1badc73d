package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// MotoHint tells a developer how to get moto_server when it is missing.
const MotoHint = "moto_server not found on PATH: install it with pip install 'moto[server]'"

// Moto is a running moto_server behind a counting proxy. Endpoint is the proxy's URL: point
// every AWS client at it. Calls are counted at the proxy, i.e. at the server side of Ferry.
type Moto struct {
	Endpoint string
	upstream string
	cmd      *exec.Cmd
	server   *http.Server

	mu    sync.Mutex
	calls map[string]int
}

// StartMoto starts moto_server on a free loopback port with a counting proxy in front.
// Call Stop when done.
func StartMoto() (*Moto, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errors.New(MotoHint)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if os.Getenv("FERRY_MOTO_LOG") != "" {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting moto_server: %w", err)
	}
	m := &Moto{upstream: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, calls: map[string]int{}}
	if err := waitHTTP(m.upstream+"/moto-api/", 30*time.Second); err != nil {
		_ = m.Stop()
		return nil, fmt.Errorf("moto_server did not come up: %w", err)
	}
	if m.server, m.Endpoint, err = serveProxy(m.upstream, m.count); err != nil {
		_ = m.Stop()
		return nil, err
	}
	return m, nil
}

// serveProxy serves a reverse proxy to upstream, wrapped by wrap (a counter), on a free
// loopback port, and returns its server and address.
func serveProxy(upstream string, wrap func(http.Handler) http.Handler) (*http.Server, string, error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	server := &http.Server{Handler: wrap(httputil.NewSingleHostReverseProxy(target)), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(ln) }()
	return server, "http://" + ln.Addr().String(), nil
}

// MustStartMoto starts moto for one test and stops it at the end. A missing moto_server
// fails the test with the install hint; it is never skipped.
func MustStartMoto(t testing.TB) *Moto {
	t.Helper()
	m, err := StartMoto()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Stop() })
	return m
}

// Stop stops the proxy and moto_server.
func (m *Moto) Stop() error {
	if m.server != nil {
		_ = m.server.Close()
	}
	if m.cmd != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
		_ = m.cmd.Wait()
	}
	return nil
}

// Calls returns how many requests of an operation (e.g. "GetSecretValue",
// "AssumeRoleWithWebIdentity") reached the server.
func (m *Moto) Calls(op string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[op]
}

// AllCalls returns a copy of every counter, by operation.
func (m *Moto) AllCalls() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.calls))
	for k, v := range m.calls {
		out[k] = v
	}
	return out
}

// String lists the counters, sorted, for failure messages.
func (m *Moto) String() string {
	calls := m.AllCalls()
	keys := make([]string, 0, len(calls))
	for k := range calls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, calls[k])
	}
	return strings.TrimSpace(b.String())
}

// ResetCalls sets every counter to zero.
func (m *Moto) ResetCalls() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = map[string]int{}
}

func (m *Moto) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if op := operation(r); op != "" {
			m.mu.Lock()
			m.calls[op]++
			m.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// operation names the AWS operation of a request: the X-Amz-Target of JSON protocols, or
// the Action of query protocols (STS).
func operation(r *http.Request) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		if _, op, ok := strings.Cut(target, "."); ok {
			return op
		}
		return target
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return r.URL.Query().Get("Action")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return ""
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return values.Get("Action")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitHTTP(u string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
