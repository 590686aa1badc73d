package aws

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestConformance runs the provider suite against Secrets Manager on moto, with a store
// that assumes a role, so that credential exchanges (AssumeRole) can be counted.
func TestConformance(t *testing.T) {
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	sm := seedSecretsManager(sharedMoto)
	conformance.Run(t, conformance.Backend{
		Provider:  New(WithEndpoint(sharedMoto.Endpoint)),
		Kube:      controlPlane.Client,
		Namespace: ns,
		Store: func(*testing.T) esv1.GenericStore {
			return secretStore(ns, esv1.AWSProvider{
				Service: esv1.AWSServiceSecretsManager, Auth: staticAuth(),
				Role: "arn:aws:iam::123456789012:role/conformance",
			})
		},
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			ctx := testContext(t)
			if _, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(key)}); err != nil {
				_, version := createSecret(t, sm, key, string(value), s.Tags)
				return versionIDPrefix + version
			}
			out, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(key), SecretString: aws.String(string(value))})
			if err != nil {
				t.Fatal(err)
			}
			return versionIDPrefix + aws.ToString(out.VersionId)
		},
		Delete: func(t *testing.T, key string) {
			if _, err := sm.DeleteSecret(testContext(t), &secretsmanager.DeleteSecretInput{SecretId: aws.String(key)}); err != nil {
				t.Fatal(err)
			}
		},
		KeyPrefix: ns + "/",
		Versions:  true,
		Find:      conformance.FindByNameAndTags,
		Logins:    func() int { return sharedMoto.Calls("AssumeRole") },
	})
}
