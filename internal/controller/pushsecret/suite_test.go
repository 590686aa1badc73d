package pushsecret_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/generator"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	awsprovider "github.com/ferryhq/ferry/internal/provider/aws"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/provider/kubernetes"
	"github.com/ferryhq/ferry/internal/provider/vault"
	"github.com/ferryhq/ferry/internal/provider/webhook"
	"github.com/ferryhq/ferry/internal/testenv"
)

var (
	k8s          client.Client
	controlPlane *testenv.ControlPlane
	moto         *testenv.Moto
)

func TestMain(m *testing.M) {
	var err error
	if moto, err = testenv.StartMoto(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	operatortest.SetLogger(nil, 0)
	code := testenv.Run(m, func(cp *testenv.ControlPlane) {
		k8s, controlPlane = cp.Client, cp
		operatortest.MustStart(cp, operator.Options{
			Providers: provider.NewRegistry(fake.New(), awsprovider.New(awsprovider.WithEndpoint(moto.Endpoint)), vault.New(),
				kubernetes.New(), webhook.New()),
			Generators: generator.NewRegistry(generator.NewPassword(), generator.NewGrafana()),
			// Replaced generated tokens are cleaned up soon, so tests see it happen.
			GeneratorGCGracePeriod: 2 * time.Second,
		})
	})
	_ = moto.Stop()
	os.Exit(code)
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

func waitStoreReady(t *testing.T, store esv1.GenericStore) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, "store Ready", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(store), store); err != nil {
			return false, err
		}
		for _, c := range store.GetStatus().Conditions {
			return c.Status == metav1.ConditionTrue, fmt.Errorf("%s: %s", c.Reason, c.Message)
		}
		return false, nil
	})
}

// awsStore creates a Secrets Manager SecretStore at moto with static keys.
func awsStore(t *testing.T, ns string) *esv1.SecretStore {
	t.Helper()
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"},
		Data: map[string][]byte{"id": []byte("AKIDTEST"), "secret": []byte("test")}})
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{
			Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1",
			SecretsManager: &esv1.AWSSecretsManager{ForceDeleteWithoutRecovery: true},
			Auth: esv1.AWSAuth{SecretRef: &esv1.AWSAuthSecretRef{
				AccessKeyID:     esv1.SecretKeySelector{Name: "aws", Key: "id"},
				SecretAccessKey: esv1.SecretKeySelector{Name: "aws", Key: "secret"},
			}},
		}}}}
	create(t, store)
	waitStoreReady(t, store)
	return store
}

func secretsManager(t *testing.T) *secretsmanager.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("eu-west-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		t.Fatal(err)
	}
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(moto.Endpoint) })
}

// remoteValue returns the secret's current string value, or "" and false when it is gone.
func remoteValue(t *testing.T, sm *secretsmanager.Client, name string) (string, bool) {
	t.Helper()
	out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	var nf *smtypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "", false
	}
	var invalid *smtypes.InvalidRequestException
	if errors.As(err, &invalid) { // scheduled for deletion
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.SecretString), true
}

func pushSecret(ns, name, store string, policy esv1alpha1.PushSecretDeletionPolicy, data ...esv1alpha1.PushSecretData) *esv1alpha1.PushSecret {
	return &esv1alpha1.PushSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: esv1alpha1.PushSecretSpec{
			RefreshInterval: esv1.NewDuration(time.Hour),
			SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{{Name: store, Kind: esv1.SecretStoreKind}},
			DeletionPolicy:  policy,
			Selector:        esv1alpha1.PushSecretSelector{Secret: &esv1alpha1.PushSecretSecret{Name: "source"}},
			Data:            data,
		}}
}

func entry(secretKey, remoteKey, property string) esv1alpha1.PushSecretData {
	return esv1alpha1.PushSecretData{Match: esv1alpha1.PushSecretMatch{SecretKey: secretKey,
		RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: remoteKey, Property: property}}}
}

func waitPushReady(t *testing.T, ps *esv1alpha1.PushSecret, status metav1.ConditionStatus) string {
	t.Helper()
	var msg string
	testenv.Eventually(t, 20*time.Second, "PushSecret Ready="+string(status), func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(ps), ps); err != nil {
			return false, err
		}
		for _, c := range ps.Status.Conditions {
			if c.Type == "Ready" {
				msg = c.Message
				return c.Status == status, fmt.Errorf("%s: %s", c.Reason, c.Message)
			}
		}
		return false, nil
	})
	return msg
}
