package generator

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// stsAPI is the one STS call the generator makes.
type stsAPI interface {
	GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, opts ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error)
}

// STSSessionToken generates temporary AWS credentials with STS GetSessionToken:
// access_key_id, secret_access_key, session_token and expiration (Unix seconds).
type STSSessionToken struct {
	sessions AWSSessions
}

// NewSTSSessionToken returns the generator; sessions authenticates it.
func NewSTSSessionToken(sessions AWSSessions) *STSSessionToken {
	return &STSSessionToken{sessions: sessions}
}

// Kind returns "STSSessionToken".
func (*STSSessionToken) Kind() string { return genv1alpha1.STSSessionTokenKind }

// Generate asks STS for new session credentials.
func (g *STSSessionToken) Generate(ctx context.Context, spec *genv1alpha1.GeneratorSpec, kube client.Client, namespace string) (map[string][]byte, error) {
	s := spec.STSSessionTokenSpec
	cfg, err := awsConfig(ctx, g.sessions, g.Kind(), &esv1.AWSProvider{Region: s.Region, Role: s.Role, Auth: s.Auth}, kube, namespace)
	if err != nil {
		return nil, err
	}
	return sessionToken(ctx, g.sessions.STS(cfg), s.RequestParameters)
}

func sessionToken(ctx context.Context, api stsAPI, params *genv1alpha1.STSSessionTokenRequestParameters) (map[string][]byte, error) {
	in := &sts.GetSessionTokenInput{}
	if params != nil {
		in.DurationSeconds = params.SessionDuration
		in.SerialNumber = params.SerialNumber
		in.TokenCode = params.TokenCode
	}
	out, err := api.GetSessionToken(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("STS GetSessionToken: %w", err)
	}
	creds := out.Credentials
	if creds == nil || creds.AccessKeyId == nil || creds.SecretAccessKey == nil {
		return nil, errors.New("STS GetSessionToken returned no credentials")
	}
	values := map[string][]byte{
		"access_key_id":     []byte(aws.ToString(creds.AccessKeyId)),
		"secret_access_key": []byte(aws.ToString(creds.SecretAccessKey)),
		"session_token":     []byte(aws.ToString(creds.SessionToken)),
		"expiration":        nil,
	}
	if creds.Expiration != nil {
		values["expiration"] = []byte(strconv.FormatInt(creds.Expiration.Unix(), 10))
	}
	return values, nil
}
