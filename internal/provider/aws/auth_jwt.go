package aws

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// Annotations of an IRSA ServiceAccount, as EKS defines them.
const (
	annotationRoleARN  = "eks.amazonaws.com/role-arn"
	annotationAudience = "eks.amazonaws.com/audience"
	defaultAudience    = "sts.amazonaws.com"
)

// serviceAccountTokenSeconds is the lifetime asked of each token: the minimum the
// TokenRequest API grants. A token is used once, for one AssumeRoleWithWebIdentity call.
const serviceAccountTokenSeconds = 600

// tokenRequestTimeout bounds one TokenRequest: the SDK asks for a token without a context.
const tokenRequestTimeout = 30 * time.Second

// webIdentityCredentials exchanges tokens of the ServiceAccount that auth.jwt names for
// credentials of the role in its eks.amazonaws.com/role-arn annotation (IRSA).
func (p *Provider) webIdentityCredentials(ctx context.Context, cfg aws.Config, a Access,
	kube client.Client, namespace string, jwt *esv1.AWSJWTAuth) (aws.CredentialsProvider, string, error) {
	field := a.Field + ".auth.jwt.serviceAccountRef"
	sa, err := provider.ServiceAccount(ctx, kube, a.For, namespace, *jwt.ServiceAccountRef, field)
	if err != nil {
		return nil, "", err
	}
	roleARN := sa.Annotations[annotationRoleARN]
	if roleARN == "" {
		return nil, "", fmt.Errorf("%s: ServiceAccount %s/%s has no %s annotation naming the role to assume",
			field, sa.Namespace, sa.Name, annotationRoleARN)
	}
	audience := sa.Annotations[annotationAudience]
	if audience == "" {
		audience = defaultAudience
	}
	tokens := &serviceAccountTokens{
		kube:           kube,
		serviceAccount: sa,
		audiences:      append([]string{audience}, jwt.ServiceAccountRef.Audiences...),
	}
	// AssumeRoleWithWebIdentity is not signed: the token is the credential.
	stsConfig := cfg.Copy()
	stsConfig.Credentials = aws.AnonymousCredentials{}
	stsClient := sts.NewFromConfig(stsConfig, p.stsOptions)
	identity := strings.Join(append([]string{sa.Namespace, sa.Name, roleARN}, tokens.audiences...), "/")
	return stscreds.NewWebIdentityRoleProvider(stsClient, roleARN, tokens, func(o *stscreds.WebIdentityRoleOptions) {
		o.RoleSessionName = sessionName(a.For)
	}), identity, nil
}

// serviceAccountTokens requests a fresh ServiceAccount token each time the SDK needs to
// assume the role again, so an expired token is never replayed.
type serviceAccountTokens struct {
	kube           client.Client
	serviceAccount *corev1.ServiceAccount
	audiences      []string
}

// GetIdentityToken implements stscreds.IdentityTokenRetriever.
func (t *serviceAccountTokens) GetIdentityToken() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tokenRequestTimeout)
	defer cancel()
	token, _, err := provider.ServiceAccountToken(ctx, t.kube, t.serviceAccount, t.audiences, serviceAccountTokenSeconds)
	if err != nil {
		return nil, err
	}
	return []byte(token), nil
}
