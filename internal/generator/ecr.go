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
	"sigs.k8s.io/controller-runtime/pkg/client"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// ecrAPI is the one ECR call the generator makes.
type ecrAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// ECRAuthorizationToken generates Docker registry logins for Amazon ECR with
// GetAuthorizationToken: username, password, proxy_endpoint and expires_at (Unix seconds).
// AWS issues a token valid for 12 hours; pick a refreshInterval below that.
type ECRAuthorizationToken struct {
	sessions AWSSessions
}

// NewECRAuthorizationToken returns the generator; sessions authenticates it.
func NewECRAuthorizationToken(sessions AWSSessions) *ECRAuthorizationToken {
	return &ECRAuthorizationToken{sessions: sessions}
}

// Kind returns "ECRAuthorizationToken".
func (*ECRAuthorizationToken) Kind() string { return genv1alpha1.ECRAuthorizationTokenKind }

// Generate asks ECR for a new authorization token.
func (g *ECRAuthorizationToken) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	s := spec.ECRAuthorizationTokenSpec
	if s.Scope == "public" {
		return nil, notServed("scope public (ECR Public) is not supported by this version of Ferry; leave scope unset for a private registry")
	}
	access := awsAccess{kind: g.Kind(), region: s.Region, role: s.Role, auth: s.Auth}
	cfg, err := access.config(ctx, g.sessions, kube, namespace)
	if err != nil {
		return nil, err
	}
	api := ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		if url := g.sessions.Endpoint(); url != "" {
			o.BaseEndpoint = aws.String(url)
		}
	})
	return ecrLogin(ctx, api)
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
	decoded, err := base64.StdEncoding.DecodeString(*data.AuthorizationToken)
	if err != nil {
		return nil, errors.New("ECR GetAuthorizationToken returned a token that is not base64")
	}
	user, password, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return nil, errors.New("ECR GetAuthorizationToken returned a token without a user:password pair")
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
