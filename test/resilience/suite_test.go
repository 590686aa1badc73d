package resilience

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	ferryaws "github.com/ferryhq/ferry/internal/provider/aws"
	"github.com/ferryhq/ferry/internal/testenv"
)

const region = "eu-west-1"

var (
	cp    *testenv.ControlPlane
	k8s   client.Client
	moto  *testenv.Moto
	proxy *testenv.FaultProxy
	// seed writes to moto directly, past the fault proxy, as an operator of AWS would.
	seed *secretsmanager.Client
	// managerDone receives what the operator's manager returned, if it ever returns:
	// Ferry must ride out every fault here without exiting.
	managerDone = make(chan error, 1)
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	operatortest.SetLogger(nil, 1)
	var err error
	if moto, err = testenv.StartMoto(); err != nil {
		fmt.Fprintln(os.Stderr, "resilience:", err)
		return 1
	}
	defer func() { _ = moto.Stop() }()
	if proxy, err = testenv.StartFaultProxy(moto.Endpoint); err != nil {
		fmt.Fprintln(os.Stderr, "resilience:", err)
		return 1
	}
	defer proxy.Stop()
	seed = secretsmanager.New(secretsmanager.Options{Region: region, BaseEndpoint: aws.String(moto.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	// Stores without auth use the default credential chain: these keys, never instance metadata.
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_EC2_METADATA_DISABLED": "true"} {
		_ = os.Setenv(k, v)
	}

	certDir, err := os.MkdirTemp("", "ferry-resilience-certs")
	if err != nil {
		fmt.Fprintln(os.Stderr, "resilience:", err)
		return 1
	}
	defer os.RemoveAll(certDir)
	if cp, err = testenv.StartRestartableControlPlane(certDir); err != nil {
		fmt.Fprintln(os.Stderr, "resilience:", err)
		return 1
	}
	k8s = cp.Client
	done, err := operatortest.Start(cp, operator.Options{
		Providers:   provider.NewRegistry(ferryaws.New(ferryaws.WithEndpoint(proxy.URL))),
		Concurrency: 4,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "resilience:", err)
		_ = cp.Stop()
		return 1
	}
	go func() { managerDone <- <-done }()

	code := m.Run()
	if err := cp.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "resilience: stopping control plane:", err)
	}
	return code
}

// assertOperatorRunning fails the test if the operator's manager has exited.
func assertOperatorRunning(t *testing.T) {
	t.Helper()
	select {
	case err := <-managerDone:
		managerDone <- err
		t.Fatalf("the operator exited (a real deployment would have been restarted): %v", err)
	default:
	}
}

// awsStore creates a Secrets Manager SecretStore without auth (the default credential
// chain) and waits until it is Ready.
func awsStore(t *testing.T, ns string) {
	t.Helper()
	store := &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{
			Service: esv1.AWSServiceSecretsManager, Region: region}}},
	}
	if err := k8s.Create(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "store Ready", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(store), store); err != nil {
			return false, err
		}
		for _, c := range store.Status.Conditions {
			if c.Type == esv1.SecretStoreReady {
				return c.Status == metav1.ConditionTrue, fmt.Errorf("%s: %s", c.Reason, c.Message)
			}
		}
		return false, nil
	})
}

// putSecret creates or updates a secret at moto, bypassing the fault proxy.
func putSecret(t *testing.T, name, value string) {
	t.Helper()
	ctx := context.Background()
	_, err := seed.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
	if err == nil {
		return
	}
	if !strings.Contains(err.Error(), "ResourceNotFound") {
		t.Fatal(err)
	}
	if _, err := seed.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
		t.Fatal(err)
	}
}

// externalSecret reads remote secret key into the key "value" of a Secret of the same name.
func externalSecret(ns, name, key string, interval time.Duration) *esv1.ExternalSecret {
	return &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef:  esv1.SecretStoreRef{Name: "aws", Kind: esv1.SecretStoreKind},
			RefreshInterval: esv1.NewDuration(interval),
			Data:            []esv1.ExternalSecretData{{SecretKey: "value", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: key}}},
		},
	}
}

// secretValue returns the "value" key of a Secret, and whether the Secret exists.
func secretValue(ns, name string) (string, *corev1.Secret, error) {
	var s corev1.Secret
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return "", nil, nil
		}
		return "", nil, err
	}
	return string(s.Data["value"]), &s, nil
}

// ready returns the Ready condition of an ExternalSecret, or nil.
func ready(ns, name string) (*metav1.Condition, error) {
	var es esv1.ExternalSecret
	if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &es); err != nil {
		return nil, err
	}
	for _, c := range es.Status.Conditions {
		if c.Type == esv1.ExternalSecretReady {
			return &metav1.Condition{Type: string(c.Type), Status: metav1.ConditionStatus(c.Status), Reason: c.Reason, Message: c.Message}, nil
		}
	}
	return nil, nil
}

// forceSync asks for a sync now, as a user would.
func forceSync(t *testing.T, ns, name string) {
	t.Helper()
	ctx := context.Background()
	for range 10 {
		var es esv1.ExternalSecret
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &es); err != nil {
			t.Fatal(err)
		}
		if es.Annotations == nil {
			es.Annotations = map[string]string{}
		}
		es.Annotations["force-sync"] = fmt.Sprint(time.Now().UnixNano())
		err := k8s.Update(ctx, &es)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	t.Fatal("could not annotate the ExternalSecret")
}
