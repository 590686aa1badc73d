package generator

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"

	"sigs.k8s.io/controller-runtime/pkg/client"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/validation"
)

// QuayAccessToken generates short-lived tokens of a Quay robot account by robot account
// federation: a token of the spec's Kubernetes ServiceAccount is sent, with the robot's
// name, as Basic credentials to GET https://{url}/oauth2/federation/robot/token, and Quay
// answers with a robot token (a JWT, valid one hour) once the robot trusts the cluster's
// issuer and the ServiceAccount's subject. The keys are those of External Secrets
// Operator: registry (the host), auth (base64 of "robot:token", a Docker config "auth")
// and expiry (Unix seconds).
type QuayAccessToken struct {
	api *apiClient
}

// NewQuayAccessToken returns the generator.
func NewQuayAccessToken(opts ...Option) *QuayAccessToken {
	return &QuayAccessToken{api: newAPIClient(opts...)}
}

// Kind returns "QuayAccessToken".
func (*QuayAccessToken) Kind() string { return genv1alpha1.QuayAccessTokenKind }

// Generate exchanges a ServiceAccount token for a robot token.
func (g *QuayAccessToken) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	s := spec.QuayAccessTokenSpec
	registry, err := validation.QuayRegistry(s.URL)
	if err != nil {
		return nil, invalid(fmt.Errorf("spec.url: %w", err))
	}
	token, expiry, err := federatedToken(ctx, g.api, kube, namespace, s.ServiceAccountRef, "robot federation at Quay",
		func(saToken string) apiRequest {
			return apiRequest{method: http.MethodGet, url: "https://" + registry + "/oauth2/federation/robot/token",
				header: http.Header{"Authorization": {basicAuth(s.RobotAccount, saToken)}}, ok: []int{http.StatusOK}}
		})
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"registry": []byte(registry),
		"auth":     []byte(base64.StdEncoding.EncodeToString([]byte(s.RobotAccount + ":" + token))),
		"expiry":   []byte(strconv.FormatInt(expiry, 10)),
	}, nil
}
