package ntlm

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/provider/webhook/ntlm/ntlmfake"
)

var account = ntlmfake.Account{Domain: "CORP", User: "svc-ferry", Password: "Corr3ct horse!"}

// echo answers "ok:" and the request body.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	_, _ = w.Write([]byte("ok:" + string(body)))
})

// serve runs an NTLM server for account in front of echo.
func serve(t *testing.T, opts ...ntlmfake.Option) (*ntlmfake.Server, *httptest.Server) {
	t.Helper()
	guard := ntlmfake.New(account, echo, opts...)
	srv := httptest.NewServer(guard)
	t.Cleanup(srv.Close)
	return guard, srv
}

func newTransport(t *testing.T, user, password string) *Transport {
	t.Helper()
	tr := NewTransport(http.DefaultTransport.(*http.Transport), user, password)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// do sends a request through tr and returns the status and body of the answer.
func do(t *testing.T, tr http.RoundTripper, method, url, body string) (int, string, error) {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(got), nil
}

// TestHandshake: with the right password a request gets through after the probe, the
// NEGOTIATE and the AUTHENTICATE (with a MIC the server verified), all three on one
// connection; the next request on that connection needs no handshake.
func TestHandshake(t *testing.T) {
	guard, srv := serve(t)
	tr := newTransport(t, `CORP\svc-ferry`, account.Password)
	status, body, err := do(t, tr, http.MethodGet, srv.URL+"/db", "")
	if err != nil || status != http.StatusOK || body != "ok:" {
		t.Fatalf("GET = %d %q, %v; want 200 ok:", status, body, err)
	}
	ex := guard.Exchanges()
	if len(ex) != 3 || ex[0].Message != 0 || ex[1].Message != 1 || ex[2].Message != 3 || ex[1].Scheme != "NTLM" {
		t.Fatalf("exchanges %+v, want a probe, a NEGOTIATE and an AUTHENTICATE under NTLM", ex)
	}
	if ex[0].RemoteAddr != ex[1].RemoteAddr || ex[1].RemoteAddr != ex[2].RemoteAddr {
		t.Errorf("the handshake used connections %s, %s, %s, want one", ex[0].RemoteAddr, ex[1].RemoteAddr, ex[2].RemoteAddr)
	}
	if !ex[2].Passed || !ex[2].MIC {
		t.Errorf("AUTHENTICATE: passed %v, MIC verified %v, refusal %q", ex[2].Passed, ex[2].MIC, ex[2].Refusal)
	}
	if status, _, err := do(t, tr, http.MethodGet, srv.URL+"/db", ""); err != nil || status != http.StatusOK {
		t.Fatalf("second GET = %d, %v", status, err)
	}
	if ex := guard.Exchanges(); len(ex) != 4 || !ex[3].Passed || ex[3].Message != 0 || ex[3].RemoteAddr != ex[2].RemoteAddr {
		t.Errorf("second request: %+v, want one request on the authenticated connection", ex[3:])
	}
}

// TestUserForms: DOMAIN\user, a bare user of the domain the server names, a lower-case
// domain (NTOWFv2 hashes the domain as sent), a server offering Negotiate only, and a
// server that sends no time (the client's clock and an LMv2 response).
func TestUserForms(t *testing.T) {
	for _, tt := range []struct {
		name, user string
		opts       []ntlmfake.Option
	}{
		{"domain and user", `CORP\svc-ferry`, nil},
		{"bare user", "svc-ferry", nil},
		{"lower-case domain", `corp\SVC-FERRY`, nil},
		{"Negotiate only", `CORP\svc-ferry`, []ntlmfake.Option{ntlmfake.Offer("Negotiate")}},
		{"no server time", `CORP\svc-ferry`, []ntlmfake.Option{ntlmfake.NoTimestamp()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			guard, srv := serve(t, tt.opts...)
			status, _, err := do(t, newTransport(t, tt.user, account.Password), http.MethodGet, srv.URL, "")
			if err != nil || status != http.StatusOK {
				t.Fatalf("GET = %d, %v; exchanges %+v", status, err, guard.Exchanges())
			}
		})
	}
}

// TestWrongPassword: the server's 401 after AUTHENTICATE is ErrCredentialsRefused, whose
// text names neither the user nor the password.
func TestWrongPassword(t *testing.T) {
	guard, srv := serve(t)
	_, _, err := do(t, newTransport(t, `CORP\svc-ferry`, "wrong-password-value"), http.MethodGet, srv.URL, "")
	if !errors.Is(err, ErrCredentialsRefused) {
		t.Fatalf("GET with a wrong password = %v, want ErrCredentialsRefused", err)
	}
	if msg := err.Error(); strings.Contains(msg, "wrong-password-value") || strings.Contains(msg, "svc-ferry") {
		t.Errorf("the error quotes the credentials: %s", msg)
	}
	ex := guard.Exchanges()
	if last := ex[len(ex)-1]; last.Message != 3 || last.Passed || last.Refusal != "the NTLMv2 response does not match the password" {
		t.Errorf("the server saw %+v, want an AUTHENTICATE refused for its response", last)
	}
	if _, _, err := do(t, newTransport(t, `OTHER\svc-ferry`, account.Password), http.MethodGet, srv.URL, ""); !errors.Is(err, ErrCredentialsRefused) {
		t.Errorf("GET as a user of another domain = %v, want ErrCredentialsRefused", err)
	}
}

// TestBodyIsReplayed: a POST body reaches the server whole in each of the three requests,
// and the guarded handler reads it after the handshake.
func TestBodyIsReplayed(t *testing.T) {
	guard, srv := serve(t, ntlmfake.PerRequest())
	const payload = `{"value":"pushed-secret-value"}`
	status, body, err := do(t, newTransport(t, `CORP\svc-ferry`, account.Password), http.MethodPost, srv.URL+"/push", payload)
	if err != nil || status != http.StatusOK || body != "ok:"+payload {
		t.Fatalf("POST = %d %q, %v; want the body echoed", status, body, err)
	}
	for _, ex := range guard.Exchanges() {
		if ex.Body != payload {
			t.Errorf("message %d arrived with body %q", ex.Message, ex.Body)
		}
	}
}

// TestNoCredentialsWithoutNTLM: a server that asks for Basic authentication gets its 401
// back and no Authorization header at all: the transport never falls back to sending the
// password.
func TestNoCredentialsWithoutNTLM(t *testing.T) {
	var headers []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers = append(headers, r.Header.Get("Authorization"))
		w.Header().Set("WWW-Authenticate", `Basic realm="secrets"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	req.Header.Set("Authorization", "Bearer from-a-template")
	resp, err := (&http.Client{Transport: newTransport(t, `CORP\svc-ferry`, account.Password)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(headers) != 1 || headers[0] != "" {
		t.Errorf("status %d, Authorization headers %q; want the 401 back after one request without any", resp.StatusCode, headers)
	}
}

// TestConnectionMustStay: a server that closes the connection after its CHALLENGE cannot
// be authenticated, and the error says why.
func TestConnectionMustStay(t *testing.T) {
	guard, srv := serve(t, ntlmfake.CloseAfterChallenge())
	_, _, err := do(t, newTransport(t, `CORP\svc-ferry`, account.Password), http.MethodGet, srv.URL, "")
	if !errors.Is(err, errConnectionChanged) {
		t.Errorf("GET = %v, want the connection change named", err)
	}
	ex := guard.Exchanges()
	if last := ex[len(ex)-1]; last.Refusal != "no CHALLENGE was sent on this connection" {
		t.Errorf("the server saw %+v", last)
	}
}

// TestConcurrentRequests: requests sent at once through one transport to a server that
// authenticates each request do not mix their handshakes.
func TestConcurrentRequests(t *testing.T) {
	guard, srv := serve(t, ntlmfake.PerRequest())
	tr := newTransport(t, `CORP\svc-ferry`, account.Password)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			payload := strings.Repeat("x", i+1)
			status, body, err := do(t, tr, http.MethodPost, srv.URL, payload)
			if err != nil || status != http.StatusOK || body != "ok:"+payload {
				errs <- errors.New("a concurrent request failed")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("%v; exchanges %+v", err, guard.Exchanges())
	}
}

// TestRedirectToAnotherHost: the redirect target on another host gets no NTLM message.
func TestRedirectToAnotherHost(t *testing.T) {
	var elsewhere []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere = append(elsewhere, r.Header.Get("Authorization"))
		w.Header().Set("WWW-Authenticate", "NTLM")
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(other.Close)
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1), http.StatusFound)
	})
	srv := httptest.NewServer(ntlmfake.New(account, redirect))
	t.Cleanup(srv.Close)
	status, _, err := do(t, newTransport(t, `CORP\svc-ferry`, account.Password), http.MethodGet, srv.URL, "")
	if err != nil || status != http.StatusUnauthorized || len(elsewhere) != 1 || elsewhere[0] != "" {
		t.Errorf("GET = %d, %v; the other host got Authorization headers %q, want one request without", status, err, elsewhere)
	}
}

// TestTLS: the handshake runs over TLS with the base transport's trust, and over HTTP/1.1
// even where the server offers HTTP/2.
func TestTLS(t *testing.T) {
	guard := ntlmfake.New(account, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.Proto))
	}))
	srv := httptest.NewUnstartedServer(guard)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	base := srv.Client().Transport.(*http.Transport).Clone()
	base.TLSClientConfig = &tls.Config{RootCAs: base.TLSClientConfig.RootCAs, MinVersion: tls.VersionTLS12}
	tr := NewTransport(base, `CORP\svc-ferry`, account.Password)
	t.Cleanup(tr.CloseIdleConnections)
	status, body, err := do(t, tr, http.MethodGet, srv.URL, "")
	if err != nil || status != http.StatusOK || body != "HTTP/1.1" {
		t.Errorf("GET over TLS = %d %q, %v; want 200 over HTTP/1.1", status, body, err)
	}
}

// TestOneConnectionPerHost: while a response is being read, the next request waits for
// that connection instead of opening another; with two connections to choose from, the
// pool could hand a handshake's AUTHENTICATE the connection its NEGOTIATE did not use.
func TestOneConnectionPerHost(t *testing.T) {
	guard, srv := serve(t, ntlmfake.PerRequest())
	tr := newTransport(t, `CORP\svc-ferry`, account.Password)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL, nil)
	first, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() {
		_, _, err := do(t, tr, http.MethodGet, srv.URL, "")
		second <- err
	}()
	// Give the second request the time to reach the server on a connection of its own,
	// which it must not have.
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline) && len(guard.Exchanges()) == 3; {
		time.Sleep(10 * time.Millisecond)
	}
	_, _ = io.ReadAll(first.Body)
	_ = first.Body.Close()
	if err := <-second; err != nil {
		t.Fatalf("second GET: %v", err)
	}
	for _, ex := range guard.Exchanges() {
		if ex.RemoteAddr != guard.Exchanges()[0].RemoteAddr {
			t.Fatalf("requests went on several connections: %+v", guard.Exchanges())
		}
	}
}
