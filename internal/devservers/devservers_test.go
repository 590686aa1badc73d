package devservers

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestManifests checks that the rendered manifests name every target and leave no placeholder: each ExternalSecret whose sync
// the e2e test checks is in its provider's rendered manifests, pointed at a loopback
// stand-in.
func TestManifests(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	files, err := s.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Providers) {
		t.Fatalf("%d manifest files for %d providers", len(files), len(Providers))
	}
	names := map[string]map[string]bool{} // provider → kind/name
	// `kubectl apply -f .cache/dev/providers/` puts every file in one namespace: no two
	// objects, and no target Secret and another object, may share a kind and name.
	owner := map[string]string{} // kind/name → provider
	claim := func(p, key string) {
		if other, ok := owner[key]; ok {
			t.Errorf("%s: %s is also %s's", p, key, other)
		}
		owner[key] = p
	}
	for _, p := range Providers {
		raw := files[p+".yaml"]
		// Oracle's store names a region, whose hosts the operator's proxy tunnels to the stand-in;
		// Doppler's stores name no host, the operator's DOPPLER_BASE_URL does.
		// Yandex's store names a gRPC host:port, with no scheme.
		loopback := p == "oracle" || p == "doppler" || bytes.Contains(raw, []byte("http://127.0.0.1:")) || bytes.Contains(raw, []byte("https://127.0.0.1:")) ||
			bytes.Contains(raw, []byte(`apiEndpoint: "127.0.0.1:`))
		if bytes.Contains(raw, []byte("{{")) || !loopback {
			t.Errorf("%s: a placeholder is left or no loopback address is written:\n%s", p, raw)
		}
		names[p] = map[string]bool{}
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			var obj struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj.Kind == "" {
				t.Errorf("%s: a document does not parse as an object (%v):\n%s", p, err, doc)
				continue
			}
			names[p][obj.Kind+"/"+obj.Metadata.Name] = true
			claim(p, obj.Kind+"/"+obj.Metadata.Name)
		}
	}
	for _, tg := range s.Targets() {
		if !names[tg.Provider]["ExternalSecret/"+tg.ExternalSecret] {
			t.Errorf("%s: no ExternalSecret %s in its manifests", tg.Provider, tg.ExternalSecret)
		}
		if len(tg.Data) == 0 {
			t.Errorf("%s/%s: no data to check", tg.Provider, tg.ExternalSecret)
		}
		claim(tg.Provider, "Secret/"+tg.Secret)
	}
	if len(s.Targets()) < len(Providers) {
		t.Errorf("%d targets; want at least one a provider", len(s.Targets()))
	}
}

// TestOCIProxyTunnelsOnlyToOCI: the operator's HTTPS proxy reaches the OCI stand-in for
// OCI's hosts of the region, trusted through the CA OperatorEnv writes, and refuses any
// other destination, so nothing sent through it leaves the machine.
func TestOCIProxyTunnelsOnlyToOCI(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	env, err := s.OperatorEnv(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var proxyURL, caFile string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "HTTPS_PROXY":
			proxyURL = v
		case "SSL_CERT_FILE":
			caFile = v
		}
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("SSL_CERT_FILE holds no certificate")
	}
	proxy, err := url.Parse(proxyURL)
	if err != nil || proxy.Hostname() != "127.0.0.1" {
		t.Fatalf("HTTPS_PROXY = %q, want a loopback proxy", proxyURL)
	}
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}

	// An unsigned read reaches the stand-in, which refuses it as OCI does.
	resp, err := hc.Get("https://secrets.vaults.us-ashburn-1.oci.oraclecloud.com/20190301/secretbundles/actions/getByName?secretName=x&vaultId=y")
	if err != nil {
		t.Fatalf("through the proxy to OCI's secrets host: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || s.Oracle.Refusals() != 1 {
		t.Errorf("status %d with %d refusals at the stand-in; want 401 from the stand-in", resp.StatusCode, s.Oracle.Refusals())
	}
	for _, target := range []string{"https://example.com/", "https://secrets.vaults.eu-frankfurt-1.oci.oraclecloud.com/", "https://127.0.0.2:443/"} {
		if resp, err := hc.Get(target); err == nil {
			_ = resp.Body.Close()
			t.Errorf("the proxy tunnelled to %s", target)
		}
	}
}
