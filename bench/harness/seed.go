package harness

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/rollout"
)

// Names of what the harness creates.
const (
	region         = "eu-west-1"
	storeName      = "bench"
	authNamespace  = "bench-auth"
	serviceAccount = "bench-irsa"
	roleARN        = "arn:aws:iam::123456789012:role/ferry-bench"
	floorNamespace = "bench-floor"
	unrelatedNS    = "bench-unrelated"
	// benchLabel marks every object the harness creates for the operator.
	benchLabel = "ferrybench"
	secretKey  = "value"
)

func namespaceName(i int) string { return fmt.Sprintf("bench-%02d", i) }

func esName(i int) string { return fmt.Sprintf("es-%05d", i) }

func remoteKey(k int) string { return fmt.Sprintf("bench/key-%05d", k) }

// remoteValue is the value of key k at a generation; it has the size of a small credential.
func remoteValue(k, generation int) string {
	return fmt.Sprintf("value-of-key-%05d-generation-%d-%s", k, generation, strings.Repeat("x", 64))
}

// keyOf is the remote key ExternalSecret i reads: objects are spread evenly over K keys.
func keyOf(i, k int) int { return i % k }

func (cfg *Config) namespaceOf(i int) string { return namespaceName(i % cfg.Namespaces) }

func secretsManagerClient(endpoint string) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("seed", "seed", ""),
		BaseEndpoint: aws.String(endpoint),
	})
}

// seedKeys creates the K remote secrets at generation 1.
func seedKeys(ctx context.Context, sm *secretsmanager.Client, k int) error {
	return parallel(ctx, k, 8, func(ctx context.Context, i int) error {
		_, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String(remoteKey(i)), SecretString: aws.String(remoteValue(i, 1)),
		})
		if err != nil {
			return fmt.Errorf("creating remote secret %s: %w", remoteKey(i), err)
		}
		return nil
	})
}

// rotateKey writes a new value of key k and returns it.
func rotateKey(ctx context.Context, sm *secretsmanager.Client, k, generation int) (string, error) {
	value := remoteValue(k, generation)
	_, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(remoteKey(k)), SecretString: aws.String(value)})
	if err != nil {
		return "", fmt.Errorf("rotating remote secret %s: %w", remoteKey(k), err)
	}
	return value, nil
}

// seedStore creates the namespaces and the IRSA ServiceAccount the store authenticates
// with, and the ClusterSecretStore itself, with an SQS change feed when queue is set.
func seedStore(ctx context.Context, c client.Client, cfg *Config, queue string) error {
	namespaces := []string{authNamespace, floorNamespace, unrelatedNS, "ferry-system"}
	for i := range cfg.Namespaces {
		namespaces = append(namespaces, namespaceName(i))
	}
	for _, ns := range namespaces {
		if err := createIfMissing(ctx, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: authNamespace, Name: serviceAccount,
		Annotations: map[string]string{"eks.amazonaws.com/role-arn": roleARN}}}
	if err := createIfMissing(ctx, c, sa); err != nil {
		return err
	}
	ns := authNamespace
	store := &esv1.ClusterSecretStore{
		ObjectMeta: metav1.ObjectMeta{Name: storeName, Annotations: feedAnnotations(queue)},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{
			Service: esv1.AWSServiceSecretsManager,
			Region:  region,
			Auth:    esv1.AWSAuth{JWTAuth: &esv1.AWSJWTAuth{ServiceAccountRef: &esv1.ServiceAccountSelector{Name: serviceAccount, Namespace: &ns}}},
		}}},
	}
	return createIfMissing(ctx, c, store)
}

// externalSecret is ExternalSecret i: one entry reading the whole value of its key.
func (cfg *Config) externalSecret(i int) *esv1.ExternalSecret {
	return &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: cfg.namespaceOf(i), Name: esName(i), Labels: map[string]string{benchLabel: "1"}},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef:  esv1.SecretStoreRef{Kind: esv1.ClusterSecretStoreKind, Name: storeName},
			RefreshInterval: esv1.NewDuration(cfg.Interval),
			Target:          esv1.ExternalSecretTarget{Name: esName(i)},
			Data: []esv1.ExternalSecretData{{SecretKey: secretKey,
				RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: remoteKey(keyOf(i, cfg.K))}}},
		},
	}
}

// seedExternalSecrets creates the N ExternalSecrets.
func seedExternalSecrets(ctx context.Context, c client.Client, cfg *Config) error {
	return parallel(ctx, cfg.N, 16, func(ctx context.Context, i int) error {
		return createIfMissing(ctx, c, cfg.externalSecret(i))
	})
}

// workloadName is Deployment j, which uses the Secret of ExternalSecret j mod N.
func workloadName(j int) string { return fmt.Sprintf("app-%05d", j) }

// workload is Deployment j: opted in to restarts, it reads every key of the Secret of
// ExternalSecret j mod N. No controller runs its pods; Ferry only watches and patches it.
func (cfg *Config) workload(j int) *appsv1.Deployment {
	es := j % cfg.N
	labels := map[string]string{"app": workloadName(j)}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: cfg.namespaceOf(es), Name: workloadName(j),
			Annotations: map[string]string{rollout.ReloaderAuto: "true"}},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1",
					EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{
						LocalObjectReference: corev1.LocalObjectReference{Name: esName(es)}}}}}}}},
		},
	}
}

// seedWorkloads creates the Workloads Deployments.
func seedWorkloads(ctx context.Context, c client.Client, cfg *Config) error {
	return parallel(ctx, cfg.Workloads, 8, func(ctx context.Context, j int) error {
		return createIfMissing(ctx, c, cfg.workload(j))
	})
}

// seedUnrelated creates count Secrets of size bytes that no ExternalSecret targets: an
// operator's memory must not follow them.
func seedUnrelated(ctx context.Context, c client.Client, count, size int) error {
	payload := []byte(strings.Repeat("u", size))
	return parallel(ctx, count, 8, func(ctx context.Context, i int) error {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: unrelatedNS, Name: fmt.Sprintf("unrelated-%05d", i)},
			Data: map[string][]byte{"blob": payload}}
		return createIfMissing(ctx, c, s)
	})
}

func createIfMissing(ctx context.Context, c client.Client, obj client.Object) error {
	if err := c.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating %T %s/%s: %w", obj, obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// parallel runs fn for 0..n-1 on workers goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}
