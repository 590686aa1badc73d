package fakehttp

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestTLS: a TLS server answers its own Client, on loopback, and a client that does not
// trust its certificate is refused.
func TestTLS(t *testing.T) {
	s, err := StartTLS(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Errorf("URL = %q, want https on 127.0.0.1", s.URL)
	}
	resp, err := s.Client().Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "ok" {
		t.Errorf("body = %q, want ok", body)
	}
	if _, err := http.Get(s.URL); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an untrusting client got %v, want a certificate error", err)
	}
	if !strings.Contains(string(s.CertificatePEM()), "BEGIN CERTIFICATE") {
		t.Error("CertificatePEM holds no PEM certificate")
	}
}
