package generator

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecrpublic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// ecrAPI is the one ECR call the generator makes.
type ecrAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// ecrPublicAPI is the one ECR Public call the generator makes.
type ecrPublicAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecrpublic.GetAuthorizationTokenInput, opts ...func(*ecrpublic.Options)) (*ecrpublic.GetAuthorizationTokenOutput, error)
}

// ecrPublicRegion is the only region that serves ECR Public's GetAuthorizationToken.
const ecrPublicRegion = "us-east-1"

// ECRAuthorizationToken generates Docker registry logins for Amazon ECR with
// GetAuthorizationToken: username, password, proxy_endpoint and expires_at (Unix seconds).
// With scope public it asks ECR Public instead (in us-east-1, whatever the spec's region),
// whose answer has no endpoint: username, password and expires_at. AWS issues a token
// valid for 12 hours; pick a refreshInterval below that.
type ECRAuthorizationToken struct {
	sessions       AWSSessions
	publicEndpoint string
}

// ECROption changes how ECRAuthorizationToken reaches AWS.
type ECROption func(*ECRAuthorizationToken)

// WithECRPublicEndpoint sends ECR Public's calls to url, ahead of the sessions' endpoint.
// Tests use it to reach an in-process server while the other AWS calls go to moto.
func WithECRPublicEndpoint(url string) ECROption {
	return func(g *ECRAuthorizationToken) { g.publicEndpoint = url }
}

// NewECRAuthorizationToken returns the generator; sessions authenticates it.
func NewECRAuthorizationToken(sessions AWSSessions, opts ...ECROption) *ECRAuthorizationToken {
	g := &ECRAuthorizationToken{sessions: sessions}
	for _, opt := range opts {
		opt(g)
	}
	return g
}

// Kind returns "ECRAuthorizationToken".
func (*ECRAuthorizationToken) Kind() string { return genv1alpha1.ECRAuthorizationTokenKind }

// Generate asks ECR for a new authorization token.
func (g *ECRAuthorizationToken) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	s := spec.ECRAuthorizationTokenSpec
	cfg, err := awsConfig(ctx, g.sessions, g.Kind(), &esv1.AWSProvider{Region: s.Region, Role: s.Role, Auth: s.Auth}, kube, namespace)
	if err != nil {
		return nil, err
	}
	if s.Scope == "public" {
		return ecrPublicLogin(ctx, ecrpublic.NewFromConfig(cfg, func(o *ecrpublic.Options) {
			o.Region = ecrPublicRegion
			if url := g.publicBaseEndpoint(); url != "" {
				o.BaseEndpoint = aws.String(url)
			}
		}))
	}
	api := ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		if url := g.sessions.Endpoint(); url != "" {
			o.BaseEndpoint = aws.String(url)
		}
	})
	return ecrLogin(ctx, api)
}

// publicBaseEndpoint is the URL ECR Public's calls go to, or "" to let the SDK resolve it
// (AWS_ENDPOINT_URL_ECR_PUBLIC, AWS_ENDPOINT_URL, or AWS's own endpoint).
func (g *ECRAuthorizationToken) publicBaseEndpoint() string {
	if g.publicEndpoint != "" {
		return g.publicEndpoint
	}
	return g.sessions.Endpoint()
}

// ecrLogin turns the first authorization data of GetAuthorizationToken into the
// generator's keys; the token is base64 of "user:password".
func ecrLogin(ctx context.Context, api ecrAPI) (map[string][]byte, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("ECR GetAuthorizationToken: %w", err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return nil, errors.New("ECR GetAuthorizationToken returned no authorization data")
	}
	data := out.AuthorizationData[0]
	user, password, err := dockerLogin("ECR GetAuthorizationToken", data.AuthorizationToken)
	if err != nil {
		return nil, err
	}
	values := map[string][]byte{
		"username":       []byte(user),
		"password":       []byte(password),
		"proxy_endpoint": []byte(aws.ToString(data.ProxyEndpoint)),
		"expires_at":     nil,
	}
	if data.ExpiresAt != nil {
		values["expires_at"] = []byte(strconv.FormatInt(data.ExpiresAt.Unix(), 10))
	}
	return values, nil
}

// ecrPublicLogin turns ECR Public's authorization data into the generator's keys: those of
// a private registry less proxy_endpoint, which ECR Public does not answer.
func ecrPublicLogin(ctx context.Context, api ecrPublicAPI) (map[string][]byte, error) {
	out, err := api.GetAuthorizationToken(ctx, &ecrpublic.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("ECR Public GetAuthorizationToken: %w", err)
	}
	if out.AuthorizationData == nil || out.AuthorizationData.AuthorizationToken == nil {
		return nil, errors.New("ECR Public GetAuthorizationToken returned no authorization data")
	}
	data := out.AuthorizationData
	user, password, err := dockerLogin("ECR Public GetAuthorizationToken", data.AuthorizationToken)
	if err != nil {
		return nil, err
	}
	values := map[string][]byte{"username": []byte(user), "password": []byte(password), "expires_at": nil}
	if data.ExpiresAt != nil {
		values["expires_at"] = []byte(strconv.FormatInt(data.ExpiresAt.Unix(), 10))
	}
	return values, nil
}

// dockerLogin splits an ECR token, base64 of "user:password". call names the answer in
// errors, which never quote the token.
func dockerLogin(call string, token *string) (user, password string, err error) {
	decoded, err := base64.StdEncoding.DecodeString(aws.ToString(token))
	if err != nil {
		return "", "", errors.New(call + " returned a token that is not base64")
	}
	user, password, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return "", "", errors.New(call + " returned a token without a user:password pair")
	}
	return user, password, nil
}
