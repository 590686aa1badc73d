package aws

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/testenv"
)

// testRegion is the region every test store and seeding client uses.
const testRegion = "eu-west-1"

var (
	// controlPlane serves the Secrets and ServiceAccounts that stores authenticate with.
	controlPlane *testenv.ControlPlane
	// sharedMoto holds the data of tests that do not count calls; each test uses names
	// under its own namespace's name, so tests do not see each other's secrets.
	sharedMoto *testenv.Moto
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	moto, err := testenv.StartMoto()
	if err != nil {
		fmt.Fprintln(os.Stderr, "aws provider tests:", err)
		return 1
	}
	defer func() { _ = moto.Stop() }()
	sharedMoto = moto
	return testenv.Run(m, func(cp *testenv.ControlPlane) { controlPlane = cp })
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// seedConfig is the configuration of the clients a test seeds moto with: the tests write
// data the way a user would, through the AWS SDK.
func seedConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       testRegion,
		Credentials:  credentials.NewStaticCredentialsProvider("seed", "seed", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

func seedSecretsManager(m *testenv.Moto) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(seedConfig(m.Endpoint))
}

func seedParameterStore(m *testenv.Moto) *ssm.Client {
	return ssm.NewFromConfig(seedConfig(m.Endpoint))
}

// createSecret creates a secret with a string value (or a binary one, when binary is not
// nil) and returns its ARN and first version id.
func createSecret(t *testing.T, sm *secretsmanager.Client, name, value string, tags map[string]string) (arn, versionID string) {
	t.Helper()
	in := &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}
	for k, v := range tags {
		in.Tags = append(in.Tags, smTag(k, v))
	}
	out, err := sm.CreateSecret(testContext(t), in)
	if err != nil {
		t.Fatalf("seeding secret %s: %v", name, err)
	}
	return aws.ToString(out.ARN), aws.ToString(out.VersionId)
}

// putParameter writes a parameter and returns its version.
func putParameter(t *testing.T, ps *ssm.Client, name, value string, kind string, tags map[string]string) int64 {
	t.Helper()
	in := &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmType(kind), Overwrite: aws.Bool(true)}
	out, err := ps.PutParameter(testContext(t), in)
	if err != nil {
		t.Fatalf("seeding parameter %s: %v", name, err)
	}
	if len(tags) > 0 {
		tagParameter(t, ps, name, tags)
	}
	return out.Version
}

// credentialsSecret creates the Secret that static-key stores read, in namespace ns.
func credentialsSecret(t *testing.T, ns string) {
	t.Helper()
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws-creds"},
		Data: map[string][]byte{
			"access-key": []byte("AKIAFERRYTEST"),
			"secret-key": []byte("ferry-secret-key"),
		},
	}
	if err := controlPlane.Client.Create(testContext(t), secret); err != nil {
		t.Fatalf("creating credentials Secret: %v", err)
	}
}

// staticAuth is the auth of a store that reads static keys from credentialsSecret.
func staticAuth() esv1.AWSAuth {
	return esv1.AWSAuth{SecretRef: &esv1.AWSAuthSecretRef{
		AccessKeyID:     esv1.SecretKeySelector{Name: "aws-creds", Key: "access-key"},
		SecretAccessKey: esv1.SecretKeySelector{Name: "aws-creds", Key: "secret-key"},
	}}
}

func secretStore(ns string, spec esv1.AWSProvider) *esv1.SecretStore {
	if spec.Region == "" {
		spec.Region = testRegion
	}
	return &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AWS: &spec}},
	}
}

func clusterSecretStore(spec esv1.AWSProvider) *esv1.ClusterSecretStore {
	if spec.Region == "" {
		spec.Region = testRegion
	}
	return &esv1.ClusterSecretStore{
		ObjectMeta: metav1.ObjectMeta{Name: "aws-cluster"},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AWS: &spec}},
	}
}

// newClient builds a client of store against moto m, for objects in namespace ns.
func newClient(t *testing.T, m *testenv.Moto, store esv1.GenericStore, kube client.Client, ns string) provider.Client {
	t.Helper()
	c, err := New(WithEndpoint(m.Endpoint)).NewClient(testContext(t), store, kube, ns)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// staticClient is the common setup of read tests: a fresh namespace with static keys and
// a client of a SecretStore for service there, against the shared moto.
func staticClient(t *testing.T, service esv1.AWSServiceType) (provider.Client, string) {
	t.Helper()
	ns := testenv.Namespace(t, controlPlane.Client, nil)
	credentialsSecret(t, ns)
	store := secretStore(ns, esv1.AWSProvider{Service: service, Auth: staticAuth()})
	return newClient(t, sharedMoto, store, controlPlane.Client, ns), ns
}
