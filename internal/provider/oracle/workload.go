package oracle

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
	"github.com/ferryhq/ferry/internal/redact"
)

// podServiceAccount is where Kubernetes mounts the pod's ServiceAccount token and the
// cluster's CA.
const podServiceAccount = "/var/run/secrets/kubernetes.io/serviceaccount"

// proxymuxPort is the port of OKE's workload identity endpoint on the cluster's API host.
const proxymuxPort = "12250"

// workloadAudience is the audience OKE workload identity expects of a ServiceAccount
// token, which ESO requests for a serviceAccountRef.
const workloadAudience = "api"

// workloadTokenSeconds is the lifetime of a token requested for a serviceAccountRef.
const workloadTokenSeconds = 3600

// notOKE is what to check when the workload identity endpoint cannot be reached or refuses.
const notOKE = "Workload works only in an enhanced OKE cluster, whose policy allows the workload's ServiceAccount to read the vault's secrets"

// proxymuxEndpoint is OKE's workload identity endpoint, on the port 12250 of the host the
// pod reaches the Kubernetes API at.
func proxymuxEndpoint() (string, error) {
	host := os.Getenv("KUBERNETES_SERVICE_HOST")
	if host == "" {
		return "", errors.New("KUBERNETES_SERVICE_HOST is unset: Workload authenticates through the OKE cluster Ferry runs in")
	}
	return "https://" + net.JoinHostPort(host, proxymuxPort) + "/resourcePrincipalSessionTokens", nil
}

// workloadSessions returns the sessions of the store's workload: the pod's own
// ServiceAccount, shared by every store that names none, or the store's serviceAccountRef,
// whose tokens Ferry requests with the audience "api" and the ref's audiences, as ESO does.
func (p *Provider) workloadSessions(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (*principalSessions, error) {
	ref := store.GetSpec().Provider.Oracle.ServiceAccountRef
	saToken := func(context.Context) (string, error) {
		raw, err := os.ReadFile(filepath.Join(p.serviceAccountDir, "token"))
		if err != nil {
			return "", fmt.Errorf("reading Ferry's ServiceAccount token: %w (%s)", err, notOKE)
		}
		token := strings.TrimSpace(string(raw))
		redact.RememberCredentialString(token)
		return token, nil
	}
	key := ""
	if ref != nil {
		field := specField + ".serviceAccountRef"
		sa, err := provider.ServiceAccount(ctx, kube, store, namespace, *ref, field)
		if err != nil {
			return nil, err
		}
		audiences := append([]string{workloadAudience}, ref.Audiences...)
		key = sa.Namespace + "/" + sa.Name + "/" + strings.Join(audiences, ",")
		saToken = func(ctx context.Context) (string, error) {
			token, _, err := provider.ServiceAccountToken(ctx, kube, sa, audiences, workloadTokenSeconds)
			if err != nil {
				return "", fmt.Errorf("%s: %w", field, err)
			}
			return token, nil
		}
	}
	p.workloadsMu.Lock()
	defer p.workloadsMu.Unlock()
	if s, ok := p.workloads[key]; ok {
		return s, nil
	}
	s := &principalSessions{federate: func(ctx context.Context) (*session, error) { return p.workloadSession(ctx, saToken) },
		now: func() time.Time { return p.now() }}
	p.workloads[key] = s
	return s, nil
}

// workloadSession exchanges a ServiceAccount token and a new session key at OKE's
// workload identity endpoint for a resource principal session token, as the OCI SDK does:
// POST {"podKey": <PEM public key>} with the token as bearer, over TLS that trusts the
// cluster's CA; the answer is a JSON string holding base64 of {"token": "ST$<jwt>"}.
func (p *Provider) workloadSession(ctx context.Context, saToken func(context.Context) (string, error)) (*session, error) {
	endpoint, err := p.proxymux()
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(filepath.Join(p.serviceAccountDir, "ca.crt"))
	if err != nil {
		return nil, fmt.Errorf("reading the cluster's CA: %w (%s)", err, notOKE)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("the cluster's CA (%s) holds no PEM certificate", filepath.Join(p.serviceAccountDir, "ca.crt"))
	}
	token, err := saToken(ctx)
	if err != nil {
		return nil, err
	}
	sessionKey, publicKey, err := newSessionKey()
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(map[string]string{"podKey": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: publicKey}))})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("OKE workload identity: %w", err)
	}
	requestID := make([]byte, 16)
	_, _ = rand.Read(requestID)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("opc-request-id", strings.ToUpper(hex.EncodeToString(requestID)))
	resp, err := restclient.NewHTTPClient(pool, 0).Do(req)
	if err != nil {
		return nil, fmt.Errorf("OKE workload identity %s: %w (%s)", endpoint, restclient.UnwrapURLError(err), notOKE)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadata))
	if err != nil {
		return nil, fmt.Errorf("OKE workload identity %s: reading the answer: %w", endpoint, err)
	}
	switch {
	case resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("OKE workload identity %s: HTTP 403: the cluster must be an enhanced cluster", endpoint)
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, fmt.Errorf("OKE workload identity %s: HTTP 401: the ServiceAccount token was refused (%s)", endpoint, notOKE)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("OKE workload identity %s: HTTP %d (%s)", endpoint, resp.StatusCode, notOKE)
	}
	rpst, err := decodeResourcePrincipalToken(answer)
	if err != nil {
		return nil, fmt.Errorf("OKE workload identity %s: the answer %w", endpoint, err)
	}
	redact.RememberCredentialString(rpst)
	expires, err := workloadTokenRenewal(rpst)
	if err != nil {
		return nil, fmt.Errorf("OKE workload identity %s: the session token: %w", endpoint, err)
	}
	return &session{token: rpst, key: sessionKey, expires: expires}, nil
}

// decodeResourcePrincipalToken reads the workload identity endpoint's answer: a JSON
// string of base64 of {"token": "ST$<jwt>"}. It returns the JWT.
func decodeResourcePrincipalToken(answer []byte) (string, error) {
	var encoded string
	if json.Unmarshal(answer, &encoded) != nil {
		return "", errors.New("is not a JSON string")
	}
	decoded, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", errors.New("is not base64")
	}
	var out struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(decoded, &out) != nil {
		return "", errors.New("does not hold a JSON object")
	}
	token, ok := strings.CutPrefix(out.Token, "ST$")
	if !ok || token == "" {
		return "", errors.New("holds no ST$ session token")
	}
	return token, nil
}

// workloadTokenRenewal is when a resource principal session token is to be renewed: half
// way from its iat to its exp, as the OCI SDK renews it; at its exp when it has no iat.
func workloadTokenRenewal(token string) (time.Time, error) {
	issued, expires, err := tokenTimes(token)
	if err != nil || issued.IsZero() {
		return expires, err
	}
	return issued.Add(expires.Sub(issued) / 2), nil
}
