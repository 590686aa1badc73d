package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The AWS SDK sits behind the few methods Ferry calls, so a test fake stays small and a
// reader can see at a glance which IAM permissions a store needs.

// secretsManagerAPI is the part of the Secrets Manager client that Ferry reads with.
type secretsManagerAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	ListSecrets(ctx context.Context, in *secretsmanager.ListSecretsInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	BatchGetSecretValue(ctx context.Context, in *secretsmanager.BatchGetSecretValueInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error)
}

// parameterStoreAPI is the part of the Systems Manager client that Ferry reads with.
type parameterStoreAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput,
		opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	GetParameters(ctx context.Context, in *ssm.GetParametersInput,
		opts ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput,
		opts ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
	DescribeParameters(ctx context.Context, in *ssm.DescribeParametersInput,
		opts ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
	ListTagsForResource(ctx context.Context, in *ssm.ListTagsForResourceInput,
		opts ...func(*ssm.Options)) (*ssm.ListTagsForResourceOutput, error)
}

// certificateManagerAPI is the part of the Certificate Manager client that Ferry reads with.
type certificateManagerAPI interface {
	GetCertificate(ctx context.Context, in *acm.GetCertificateInput,
		opts ...func(*acm.Options)) (*acm.GetCertificateOutput, error)
	ExportCertificate(ctx context.Context, in *acm.ExportCertificateInput,
		opts ...func(*acm.Options)) (*acm.ExportCertificateOutput, error)
}

// callerIdentityAPI proves that credentials are accepted, whatever IAM policy they carry.
type callerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput,
		opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}
