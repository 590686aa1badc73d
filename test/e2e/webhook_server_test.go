package e2e

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/webhook"
)

// TestWebhookServerRefusesMalformedRequests talks to the real binary's webhook port the way an
// attacker on the cluster network could: old TLS versions and HTTP/2 are not offered, and
// malformed, oversized and wrongly sent bodies, to every webhook path, get a clean refusal —
// an AdmissionReview that says why, or a 4xx — never a 5xx, a hang or a crash. The webhook
// still serves the API server afterwards.
func TestWebhookServerRefusesMalformedRequests(t *testing.T) {
	port := freePort(t)
	startFerryWithWebhooks(t, nil, port)
	waitWebhook(t, port)
	base := "https://127.0.0.1:" + port

	// The serving certificate is Ferry's own; the API server checks it against the injected
	// CA. These probes are about what the server accepts, not whom it is.
	probe := func(c *tls.Config) (*tls.Conn, error) {
		c.InsecureSkipVerify = true //nolint:gosec // a probe of the server's TLS settings
		return tls.Dial("tcp", "127.0.0.1:"+port, c)
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		if conn, err := probe(&tls.Config{MinVersion: v, MaxVersion: v}); err == nil { //nolint:gosec // old versions on purpose
			_ = conn.Close()
			t.Errorf("the webhook server accepted %s; want TLS 1.2 at least", tls.VersionName(v))
		}
	}
	conn, err := probe(&tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatalf("TLS 1.2 refused: %v", err)
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Errorf("negotiated %q when h2 was offered, want http/1.1", p)
	}
	_ = conn.Close()

	client := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{ExpectContinueTimeout: time.Minute,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}} //nolint:gosec // see probe
	paths := []string{webhook.ValidatePath(esv1.ExtSecretKind), webhook.ValidatePath(esv1.SecretStoreKind),
		webhook.ValidatePath(esv1.ClusterSecretStoreKind), webhook.ValidatePath(esv1alpha1.PushSecretKind),
		webhook.ValidatePath(esv1alpha1.ClusterPushSecretKind), webhook.ConversionPath}
	bodies := map[string]string{
		"empty":                    "",
		"not JSON":                 "{",
		"invalid UTF-8":            "\xff\xfe\xfd",
		"null":                     "null",
		"an array":                 "[1,2,3]",
		"no request":               `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`,
		"object is a string":       `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","operation":"CREATE","object":"x"}}`,
		"fields of the wrong type": `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","operation":"CREATE","object":{"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","spec":{"refreshInterval":5,"data":"x","provider":[]}}}}`,
		"deeply nested":            `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","object":` + strings.Repeat("[", 100000) + `}}`,
		"conversion of garbage":    `{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"1","desiredAPIVersion":"external-secrets.io/v1","objects":[{"kind":1},"x",null]}}`,
	}
	for _, path := range paths {
		for name, body := range bodies {
			status, review, err := post(client, base+path, body)
			switch {
			case err != nil:
				t.Errorf("%s, %s: %v", path, name, err)
			case status >= 500:
				t.Errorf("%s, %s: HTTP %d, want a refusal, not a server error", path, name, status)
			case path == webhook.ConversionPath:
				// A 4xx, or a ConversionReview whose answer converts nothing of the garbage.
			case status == http.StatusOK && review != nil:
				if r := review.Response; r.Allowed || r.Result == nil || r.Result.Code >= 500 || r.Result.Code < 400 {
					t.Errorf("%s, %s: review answer allowed=%v result=%+v, want refused with a 4xx", path, name, r.Allowed, r.Result)
				}
			case status == http.StatusOK:
				t.Errorf("%s, %s: HTTP 200 without an AdmissionReview answer", path, name)
			case status < 400:
				t.Errorf("%s, %s: HTTP %d, want a refusal", path, name, status)
			}
		}
		if status, err := get(client, base+path); err != nil || status != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: HTTP %d, %v; want 405", path, status, err)
		}
		if status, err := postOversized(client, base+path, 65<<20); err != nil || status != http.StatusRequestEntityTooLarge {
			t.Errorf("a 65 MiB body to %s: HTTP %d, %v; want 413", path, status, err)
		}
	}

	// Still serving: a conversion through the API server works.
	if _, err := kubectlErr("get", "externalsecrets.v1alpha1.external-secrets.io", "-A"); err != nil {
		t.Errorf("the API server cannot use the webhook after the malformed requests: %v", err)
	}
}

// post sends body and returns the status and, if the answer has a response, the review.
func post(client *http.Client, url, body string) (int, *admissionv1.AdmissionReview, error) {
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	var review admissionv1.AdmissionReview
	// controller-runtime's refusals of malformed requests leave out apiVersion and kind.
	if json.Unmarshal(answer, &review) != nil || review.Response == nil {
		return resp.StatusCode, nil, nil
	}
	return resp.StatusCode, &review, nil
}

func get(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// postOversized announces a body of size bytes and waits for the server's go-ahead before
// sending it (Expect: 100-continue), so a refusal arrives without the body being sent.
func postOversized(client *http.Client, url string, size int64) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, io.LimitReader(zeros{}, size))
	if err != nil {
		return 0, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// zeros reads as an endless run of '0'.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}
