package generator

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// AWSSessions builds AWS SDK configurations with the AWS provider's configuration and
// credential code, so generators authenticate exactly as an AWS SecretStore does;
// aws.NewSessions returns one.
type AWSSessions interface {
	// ValidateStore checks a store's spec.provider.aws as written.
	ValidateStore(store esv1.GenericStore) error
	// SessionConfig returns the SDK configuration, with credentials, of store's clients.
	SessionConfig(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (aws.Config, error)
	// Endpoint is the URL every AWS client must use, or "" to let the SDK resolve it.
	Endpoint() string
	// STS returns an STS client of cfg.
	STS(cfg aws.Config) *sts.Client
}

// awsAccess is what ECRAuthorizationToken and STSSessionToken share: a region, a role and
// an AWS SecretStore's auth.
type awsAccess struct {
	kind   string
	region string
	role   string
	auth   esv1.AWSAuth
}

// config validates the access as an AWS SecretStore in namespace would be validated, and
// returns its SDK configuration. The Secrets and ServiceAccount auth names must therefore
// be in namespace, the ExternalSecret's, even for a ClusterGenerator.
func (a awsAccess) config(ctx context.Context, sessions AWSSessions, kube client.Client, namespace string) (aws.Config, error) {
	store := &esv1.SecretStore{
		// The name appears in role session names: ferry@<namespace>.<kind>.
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: strings.ToLower(a.kind)},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{
			Service: esv1.AWSServiceSecretsManager, Region: a.region, Role: a.role, Auth: a.auth,
		}}},
	}
	if err := sessions.ValidateStore(store); err != nil {
		return aws.Config{}, invalid(relativeFields(err))
	}
	cfg, err := sessions.SessionConfig(ctx, store, kube, namespace)
	if err != nil {
		return aws.Config{}, relativeFields(err)
	}
	return cfg, nil
}

// renamed rewrites the message of an error of the AWS provider, whose field paths start at
// a store's spec.provider.aws, so they name the generator's own fields (auth, role, region).
type renamed struct {
	err error
	msg string
}

func (r *renamed) Error() string { return r.msg }
func (r *renamed) Unwrap() error { return r.err }

func relativeFields(err error) error {
	return &renamed{err: err, msg: strings.ReplaceAll(err.Error(), "spec.provider.aws.", "")}
}
