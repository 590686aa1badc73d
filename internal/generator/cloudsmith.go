package generator

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"

	"sigs.k8s.io/controller-runtime/pkg/client"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// cloudsmithAPI is Cloudsmith's API.
const cloudsmithAPI = "https://api.cloudsmith.io"

// CloudsmithAccessToken generates short-lived Cloudsmith tokens by OpenID Connect: a token
// of the spec's Kubernetes ServiceAccount is posted, with the Cloudsmith service account's
// slug, to POST {apiUrl}/openid/{orgSlug}/, and Cloudsmith answers with a token (a JWT) of
// that service account once the organization trusts the cluster's issuer and the token's
// claims. The keys are those of External Secrets Operator: auth (base64 of "token:TOKEN",
// a Docker config "auth" for Cloudsmith's registry) and expiry (Unix seconds).
type CloudsmithAccessToken struct {
	api *apiClient
}

// NewCloudsmithAccessToken returns the generator.
func NewCloudsmithAccessToken(opts ...Option) *CloudsmithAccessToken {
	return &CloudsmithAccessToken{api: newAPIClient(opts...)}
}

// Kind returns "CloudsmithAccessToken".
func (*CloudsmithAccessToken) Kind() string { return genv1alpha1.CloudsmithAccessTokenKind }

// Generate exchanges a ServiceAccount token for a Cloudsmith token.
func (g *CloudsmithAccessToken) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	s := spec.CloudsmithAccessTokenSpec
	base, err := serviceURL(s.APIURL, cloudsmithAPI, "spec.apiUrl")
	if err != nil {
		return nil, err
	}
	token, expiry, err := federatedToken(ctx, g.api, kube, namespace, s.ServiceAccountRef, "Cloudsmith OIDC exchange",
		func(saToken string) apiRequest {
			return apiRequest{method: http.MethodPost, url: base + "/openid/" + url.PathEscape(s.OrgSlug) + "/",
				body: map[string]string{"oidc_token": saToken, "service_slug": s.ServiceSlug},
				ok:   []int{http.StatusCreated, http.StatusOK}}
		})
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"auth":   []byte(base64.StdEncoding.EncodeToString([]byte("token:" + token))),
		"expiry": []byte(strconv.FormatInt(expiry, 10)),
	}, nil
}
