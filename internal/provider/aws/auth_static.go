package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

// staticCredentials reads an access key, its secret and an optional session token from
// the Secrets that auth.secretRef names. They are read once, when the client is built: a
// rotated key reaches Ferry with the next client.
func staticCredentials(ctx context.Context, a Access, kube client.Client, namespace string,
	ref *esv1.AWSAuthSecretRef) (credentials.StaticCredentialsProvider, error) {
	field := a.Field + ".auth.secretRef"
	keyID, err := provider.SecretKeyValue(ctx, kube, a.For, namespace, ref.AccessKeyID, field+".accessKeyIDSecretRef")
	if err != nil {
		return credentials.StaticCredentialsProvider{}, err
	}
	secretKey, err := provider.SecretKeyValue(ctx, kube, a.For, namespace, ref.SecretAccessKey, field+".secretAccessKeySecretRef")
	if err != nil {
		return credentials.StaticCredentialsProvider{}, err
	}
	var sessionToken []byte
	if ref.SessionToken != nil {
		sessionToken, err = provider.SecretKeyValue(ctx, kube, a.For, namespace, *ref.SessionToken, field+".sessionTokenSecretRef")
		if err != nil {
			return credentials.StaticCredentialsProvider{}, err
		}
	}
	return credentials.NewStaticCredentialsProvider(string(keyID), string(secretKey), string(sessionToken)), nil
}
