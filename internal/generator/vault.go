package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// VaultCaller sends requests to the Vault server that a store's spec.provider.vault
// configures, logged in with its auth, with the Vault provider's own connection and auth
// code; vault.NewCaller returns one.
type VaultCaller interface {
	// ValidateStore checks a store's spec.provider.vault as written.
	ValidateStore(store esv1.GenericStore) error
	// Call sends method to /v1/path with query and, when not nil, body as JSON, and returns
	// Vault's answer (empty when Vault answered without a body).
	Call(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string,
		method, path string, query url.Values, body any) (json.RawMessage, error)
}

// VaultDynamicSecret generates values by calling a Vault path, e.g. database/creds/<role>:
// the data (or auth block, or whole answer) of Vault's response, one key per field; fields
// that are not strings are written as JSON. Each call may create a lease in Vault, which
// stays until its TTL runs out: Ferry does not revoke leases.
type VaultDynamicSecret struct {
	vault VaultCaller
}

// NewVaultDynamicSecret returns the generator; vault connects and authenticates it.
func NewVaultDynamicSecret(vault VaultCaller) *VaultDynamicSecret {
	return &VaultDynamicSecret{vault: vault}
}

// Kind returns "VaultDynamicSecret".
func (*VaultDynamicSecret) Kind() string { return genv1alpha1.VaultDynamicSecretKind }

// Generate calls the spec's path and returns the part of the answer resultType selects.
func (g *VaultDynamicSecret) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	s := spec.VaultDynamicSecretSpec
	// The provider's auth and TLS references are resolved in namespace, the
	// ExternalSecret's, as for a SecretStore there; a ClusterGenerator is no exception.
	store := &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "vaultdynamicsecret"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Vault: s.Provider}},
	}
	if err := g.vault.ValidateStore(store); err != nil {
		return nil, invalid(relativeVaultFields(err))
	}
	method := strings.ToUpper(s.Method)
	if method == "" {
		method = http.MethodGet
	}
	path := strings.Trim(s.Path, "/")
	var query url.Values
	var body any
	switch method {
	case http.MethodGet:
		query = url.Values(s.GetParameters)
	case "LIST":
	default:
		if s.Parameters != nil && len(s.Parameters.Raw) > 0 {
			body = json.RawMessage(s.Parameters.Raw)
		} else {
			body = map[string]any{}
		}
	}
	answer, err := g.callWithRetries(ctx, s.RetrySettings, func() (json.RawMessage, error) {
		return g.vault.Call(ctx, store, kube, namespace, method, path, query, body)
	})
	if err != nil {
		return nil, relativeVaultFields(err)
	}
	return vaultValues(answer, s.ResultType, s.AllowEmptyResponse, method, path)
}

// callWithRetries makes call, and again up to retrySettings.maxRetries times, waiting
// retryInterval (default 1s) in between.
func (g *VaultDynamicSecret) callWithRetries(ctx context.Context, rs *esv1.SecretStoreRetrySettings,
	call func() (json.RawMessage, error)) (json.RawMessage, error) {
	retries, wait := 0, time.Second
	if rs != nil && rs.MaxRetries != nil {
		retries = int(*rs.MaxRetries)
	}
	if rs != nil && rs.RetryInterval != nil {
		if d, err := time.ParseDuration(*rs.RetryInterval); err == nil {
			wait = d
		}
	}
	for attempt := 0; ; attempt++ {
		answer, err := call()
		if err == nil || attempt >= retries {
			return answer, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// vaultValues selects the part of Vault's answer that resultType names and turns its
// fields into values.
func vaultValues(answer json.RawMessage, resultType genv1alpha1.VaultDynamicSecretResultType, allowEmpty bool,
	method, path string) (map[string][]byte, error) {
	var part json.RawMessage
	if len(answer) > 0 {
		switch resultType {
		case genv1alpha1.VaultResultRaw:
			part = answer
		default:
			var envelope struct {
				Data json.RawMessage `json:"data"`
				Auth json.RawMessage `json:"auth"`
			}
			if err := json.Unmarshal(answer, &envelope); err != nil {
				return nil, fmt.Errorf("vault %s /v1/%s: the answer is not a JSON object", method, path)
			}
			part = envelope.Data
			if resultType == genv1alpha1.VaultResultAuth {
				part = envelope.Auth
			}
		}
	}
	var fields map[string]json.RawMessage
	if len(part) > 0 && string(part) != "null" {
		if err := json.Unmarshal(part, &fields); err != nil {
			return nil, fmt.Errorf("vault %s /v1/%s: the %s of the answer is not a JSON object", method, path, partName(resultType))
		}
	}
	if len(fields) == 0 {
		if allowEmpty {
			return map[string][]byte{}, nil
		}
		return nil, fmt.Errorf("vault %s /v1/%s: the answer has no %s; set allowEmptyResponse if that is expected",
			method, path, partName(resultType))
	}
	out := make(map[string][]byte, len(fields))
	for k, raw := range fields {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			out[k] = []byte(s)
			continue
		}
		// Numbers, booleans, objects and arrays stay JSON, compacted; null became "" above.
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return nil, fmt.Errorf("vault %s /v1/%s: field %q is not valid JSON", method, path, k)
		}
		out[k] = compact.Bytes()
	}
	return out, nil
}

func partName(resultType genv1alpha1.VaultDynamicSecretResultType) string {
	switch resultType {
	case genv1alpha1.VaultResultAuth:
		return "auth"
	case genv1alpha1.VaultResultRaw:
		return "body"
	default:
		return "data"
	}
}

// relativeVaultFields rewrites field paths of the Vault provider's errors, which start at a
// store's spec.provider.vault, to the generator's own provider field.
func relativeVaultFields(err error) error {
	return &renamed{err: err, msg: strings.ReplaceAll(err.Error(), "spec.provider.vault", "provider")}
}
