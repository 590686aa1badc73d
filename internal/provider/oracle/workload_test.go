package oracle

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/oracle/oraclefake"
	"github.com/ferryhq/ferry/internal/redact"
)

const podToken = "pod-sa-token-5c1d"

// startProxymux starts the workload identity endpoint over TLS and returns its URL and a
// ServiceAccount folder holding the pod's token and the CA that signed the endpoint's
// certificate, as Kubernetes mounts them.
func startProxymux(t *testing.T, f *oraclefake.Server, accept func(string) bool) (endpoint, saDir string) {
	t.Helper()
	srv := httptest.NewTLSServer(f.Proxymux(accept))
	t.Cleanup(srv.Close)
	saDir = t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(saDir, "ca.crt"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(saDir, "token"), []byte(podToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL + "/resourcePrincipalSessionTokens", saDir
}

// workloadProvider returns a provider whose workload identity endpoint and ServiceAccount
// folder are the in-process ones.
func workloadProvider(f *oraclefake.Server, endpoint, saDir string) *Provider {
	p := newProvider(f)
	p.proxymux = func() (string, error) { return endpoint, nil }
	p.serviceAccountDir = saDir
	return p
}

func workloadStore(name string) esv1.GenericStore {
	s := oracleStore(esv1.OracleProvider{Region: "us-ashburn-1", Vault: fakeVault, Compartment: fakeCompartment,
		EncryptionKey: fakeKey, PrincipalType: "Workload"})
	s.SetName(name)
	return s
}

// TestWorkload: a Workload store exchanges Ferry's pod ServiceAccount token at OKE's
// workload identity endpoint for a session token and reads and validates with it; stores
// that name no ServiceAccount share the token.
func TestWorkload(t *testing.T) {
	f := startOCI(t)
	f.Put("db", []byte(`{"password":"pw-77aa"}`), nil)
	endpoint, saDir := startProxymux(t, f, func(tok string) bool { return tok == podToken })
	p := workloadProvider(f, endpoint, saDir)
	for _, name := range []string{"one", "two"} {
		c, err := p.NewClient(context.Background(), workloadStore(name), nil, "apps")
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		if got, err := get(c, "db", "", "password"); err != nil || string(got) != "pw-77aa" {
			t.Fatalf("GetSecret = %q, %v; want pw-77aa", got, err)
		}
		if res, err := c.Validate(context.Background()); res != esv1.ValidationResultReady || err != nil {
			t.Errorf("Validate = %v, %v; want Ready", res, err)
		}
	}
	if f.Count("proxymux") != 1 || f.Count("bundle") != 2 || f.Refusals() != 0 {
		t.Errorf("exchanges %d, reads %d, refusals %d; want 1, 2, 0", f.Count("proxymux"), f.Count("bundle"), f.Refusals())
	}
	// The pod's token and the session token are credentials: no message of the process
	// shows them.
	var session string
	for token := range f.Tokens() {
		session = token
	}
	for _, secret := range []string{podToken, session} {
		if msg := redact.New().String("echo: " + secret); strings.Contains(msg, secret) {
			t.Errorf("a message quoting a credential is redacted to %q", msg)
		}
	}
}

// TestWorkloadServiceAccountRef: with serviceAccountRef, the token exchanged is one
// requested for that ServiceAccount, not the pod's.
func TestWorkloadServiceAccountRef(t *testing.T) {
	f := startOCI(t)
	f.Put("db", []byte("v1"), nil)
	// controller-runtime's fake client issues "fake-token" for any TokenRequest.
	endpoint, saDir := startProxymux(t, f, func(tok string) bool { return tok == "fake-token" })
	p := workloadProvider(f, endpoint, saDir)
	store := workloadStore("oci")
	store.GetSpec().Provider.Oracle.ServiceAccountRef = &esv1.ServiceAccountSelector{Name: "reader"}
	kube := fake.NewClientBuilder().WithObjects(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "reader"}}).Build()
	c, err := p.NewClient(context.Background(), store, kube, "apps")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := get(c, "db", "", ""); err != nil || string(got) != "v1" {
		t.Errorf("GetSecret = %q, %v", got, err)
	}
	store.GetSpec().Provider.Oracle.ServiceAccountRef.Name = "missing"
	if _, err := p.NewClient(context.Background(), store, kube, "apps"); err == nil || !strings.Contains(err.Error(), "spec.provider.oracle.serviceAccountRef: reading ServiceAccount apps/missing") {
		t.Errorf("NewClient with a missing ServiceAccount = %v", err)
	}
}

// TestWorkloadRenewsToken: the session token is renewed five minutes before the half of
// its lifetime, as the OCI SDK renews it, so an expired token is never sent.
func TestWorkloadRenewsToken(t *testing.T) {
	f := startOCI(t)
	f.Put("db", []byte("v1"), nil)
	now, advance := testClock()
	f.SetClock(now)
	endpoint, saDir := startProxymux(t, f, func(tok string) bool { return tok == podToken })
	p := workloadProvider(f, endpoint, saDir)
	p.now = now
	c, err := p.NewClient(context.Background(), workloadStore("oci"), nil, "apps")
	if err != nil {
		t.Fatal(err)
	}
	// The token lives 20 minutes: it is renewed from minute 5 on.
	for _, step := range []struct {
		after     time.Duration
		exchanges int
	}{{0, 1}, {4 * time.Minute, 1}, {2 * time.Minute, 2}, {30 * time.Minute, 3}} {
		advance(step.after)
		if got, err := get(c, "db", "", ""); err != nil || string(got) != "v1" {
			t.Errorf("after %s more: GetSecret = %q, %v", step.after, got, err)
		}
		if f.Count("proxymux") != step.exchanges {
			t.Errorf("after %s more: %d exchanges, want %d", step.after, f.Count("proxymux"), step.exchanges)
		}
	}
	if f.Refusals() != 0 {
		t.Errorf("OCI refused %d requests, want none", f.Refusals())
	}
}

// TestWorkloadFailures: a refused ServiceAccount token, an endpoint whose certificate the
// cluster's CA did not sign, and a pod outside Kubernetes each fail with what to check,
// never quoting the token.
func TestWorkloadFailures(t *testing.T) {
	read := func(t *testing.T, p *Provider) error {
		t.Helper()
		c, err := p.NewClient(context.Background(), workloadStore("oci"), nil, "apps")
		if err != nil {
			t.Fatal(err)
		}
		_, err = get(c, "db", "", "")
		if err != nil && strings.Contains(err.Error(), podToken) {
			t.Errorf("the error quotes the ServiceAccount token: %v", err)
		}
		return err
	}
	t.Run("token refused", func(t *testing.T) {
		f := startOCI(t)
		endpoint, saDir := startProxymux(t, f, func(string) bool { return false })
		err := read(t, workloadProvider(f, endpoint, saDir))
		if err == nil || !strings.Contains(err.Error(), "HTTP 401: the ServiceAccount token was refused") {
			t.Errorf("GetSecret = %v, want the refusal", err)
		}
		if f.Count("bundle") != 0 {
			t.Errorf("%d reads reached OCI, want 0", f.Count("bundle"))
		}
	})
	t.Run("untrusted endpoint", func(t *testing.T) {
		f := startOCI(t)
		endpoint, saDir := startProxymux(t, f, func(string) bool { return true })
		// A CA that did not sign the endpoint's certificate.
		other := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: instanceIntermediate(f).Raw})
		if err := os.WriteFile(filepath.Join(saDir, "ca.crt"), other, 0o600); err != nil {
			t.Fatal(err)
		}
		err := read(t, workloadProvider(f, endpoint, saDir))
		if err == nil || !strings.Contains(err.Error(), "certificate") || f.Count("proxymux") != 0 {
			t.Errorf("GetSecret = %v after %d exchanges, want a TLS refusal before any", err, f.Count("proxymux"))
		}
	})
	t.Run("not in Kubernetes", func(t *testing.T) {
		t.Setenv("KUBERNETES_SERVICE_HOST", "")
		f := startOCI(t)
		_, saDir := startProxymux(t, f, func(string) bool { return true })
		p := workloadProvider(f, "", saDir)
		p.proxymux = proxymuxEndpoint
		if err := read(t, p); err == nil || !strings.Contains(err.Error(), "KUBERNETES_SERVICE_HOST is unset") {
			t.Errorf("GetSecret = %v", err)
		}
	})
}

// TestProxymuxEndpoint: the endpoint is on port 12250 of the cluster's API host, an IPv6
// address in brackets.
func TestProxymuxEndpoint(t *testing.T) {
	for host, want := range map[string]string{
		"10.96.0.1": "https://10.96.0.1:12250/resourcePrincipalSessionTokens",
		"fd00::1":   "https://[fd00::1]:12250/resourcePrincipalSessionTokens",
	} {
		t.Setenv("KUBERNETES_SERVICE_HOST", host)
		if got, err := proxymuxEndpoint(); got != want || err != nil {
			t.Errorf("KUBERNETES_SERVICE_HOST=%s: %q, %v; want %q", host, got, err, want)
		}
	}
}

// TestDecodeResourcePrincipalToken: the endpoint's answer is read as the OCI SDK reads
// it; malformed answers are refused with what is wrong, without quoting them.
func TestDecodeResourcePrincipalToken(t *testing.T) {
	wrap := func(inner string) []byte {
		b, _ := json.Marshal(base64.StdEncoding.EncodeToString([]byte(inner)))
		return b
	}
	for _, tt := range []struct {
		answer []byte
		want   string
		err    string
	}{
		{wrap(`{"token":"ST$a.b.c"}`), "a.b.c", ""},
		{wrap(`{"token":"a.b.c"}`), "", "holds no ST$ session token"},
		{wrap(`not json`), "", "does not hold a JSON object"},
		{[]byte(`"%%%"`), "", "is not base64"},
		{[]byte(`{"token":"ST$a.b.c"}`), "", "is not a JSON string"},
	} {
		got, err := decodeResourcePrincipalToken(tt.answer)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("decode(%s) = %q, %v; want %q, %q", tt.answer, got, err, tt.want, tt.err)
		}
	}
}
