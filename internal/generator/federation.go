package generator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// federatedTokenSeconds is the lifetime asked of a ServiceAccount token that a generator
// exchanges at once: the TokenRequest API's minimum, since the token is used for one call.
const federatedTokenSeconds = 600

// serviceAccountToken requests, through the TokenRequest API, a token of the ServiceAccount
// that sel names, for sel's audiences (none: the API server's own, as External Secrets
// Operator does). The ServiceAccount must be in namespace, the ExternalSecret's: a
// generator, a ClusterGenerator too, acts for the namespace that uses it. field names sel
// in errors, which never hold the token.
func serviceAccountToken(ctx context.Context, kube client.Client, namespace string, sel esv1.ServiceAccountSelector, field string) (string, error) {
	if sel.Name == "" {
		return "", invalid(fmt.Errorf("%s.name: required", field))
	}
	if err := inNamespace(sel.Namespace, namespace, field, "requests tokens for ServiceAccounts"); err != nil {
		return "", err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: sel.Name}}
	token, _, err := provider.ServiceAccountToken(ctx, kube, sa, sel.Audiences, federatedTokenSeconds)
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	if token == "" {
		return "", fmt.Errorf("%s: the TokenRequest returned no token", field)
	}
	return token, nil
}

// federatedToken trades a token of the ServiceAccount sel names (see serviceAccountToken)
// for a service's token: exchange builds the call that sends it, whose answer is
// {"token": ...}, a JWT. It returns that token and its expiry (Unix seconds); errors
// start with call, which names the exchange.
func federatedToken(ctx context.Context, api *apiClient, kube client.Client, namespace string, sel esv1.ServiceAccountSelector,
	call string, exchange func(saToken string) apiRequest) (string, int64, error) {
	saToken, err := serviceAccountToken(ctx, kube, namespace, sel, "spec.serviceAccountRef")
	if err != nil {
		return "", 0, err
	}
	var answer struct {
		Token string `json:"token"`
	}
	request := exchange(saToken)
	request.out = &answer
	if err := api.do(ctx, request); err != nil {
		return "", 0, fmt.Errorf("%s: %w", call, err)
	}
	if answer.Token == "" {
		return "", 0, fmt.Errorf("%s: the answer holds no token", call)
	}
	expiry, err := jwtExpiry(answer.Token)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", call, err)
	}
	return answer.Token, expiry, nil
}

// jwtExpiry returns the exp claim (Unix seconds) of a JWT, read without verifying it: the
// token comes from the service that signed it, and only its lifetime is wanted.
func jwtExpiry(token string) (int64, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return 0, errors.New("the token is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return 0, errors.New("the token's claims are not base64url")
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil || claims.Exp == nil {
		return 0, errors.New("the token has no exp claim")
	}
	exp, err := claims.Exp.Float64()
	if err != nil {
		return 0, errors.New("the token's exp claim is not a number")
	}
	return int64(exp), nil
}
