package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestTerraformExampleManifests applies the manifests of examples/terraform/eks-walkthrough
// as written: a ClusterSecretStore without auth, which reads with Ferry's own identity (on
// EKS, the role the ferry-aws module puts on Ferry's ServiceAccount; here, keys in Ferry's
// environment, as the SDK's default chain finds them), an ExternalSecret, and a Deployment
// with Reloader's annotation. The Secret appears, and a new value of the AWS secret reaches
// it and restarts the Deployment.
func TestTerraformExampleManifests(t *testing.T) {
	manifests := filepath.Join(root, "examples/terraform/eks-walkthrough/manifests")
	// The seed walkthrough leaves an ExternalSecret of the same name (for a SecretStore) and
	// its Secret in the namespace; start from neither, and leave neither behind.
	cleanup := func() {
		for _, args := range [][]string{
			{"delete", "-f", filepath.Join(manifests, "30-deployment.yaml"), "--ignore-not-found"},
			{"delete", "-f", filepath.Join(manifests, "20-externalsecret.yaml"), "--ignore-not-found"},
			{"delete", "-f", filepath.Join(manifests, "10-clustersecretstore.yaml"), "--ignore-not-found"},
			{"delete", "secret", "example-secret", "-n", "example", "--ignore-not-found"},
		} {
			if _, err := kubectlErr(args...); err != nil {
				t.Errorf("cleaning up: kubectl %v: %v", args, err)
			}
		}
	}
	cleanup()
	t.Cleanup(cleanup)

	// The secret Terraform creates empty, filled as step 3 of the example's README does.
	moto, sm := motoWithExampleSecret(t)
	ctx := context.Background()
	// With its webhooks, as the chart runs it.
	port := freePort(t)
	startFerryWithWebhooks(t, motoEnv(moto), port)
	waitWebhook(t, port)

	for _, m := range []string{"00-namespace.yaml", "10-clustersecretstore.yaml", "20-externalsecret.yaml", "30-deployment.yaml"} {
		kubectl(t, "apply", "-f", filepath.Join(manifests, m))
	}
	waitData(t, 60*time.Second, `{"API_HOST":"aHR0cHM6Ly9leGFtcGxlLmNvbQ==","API_KEY":"MTIzNDU2Nw=="}`)
	if got := kubectl(t, "get", "clustersecretstore", "secretstore-example",
		"-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`); got != "True" {
		t.Errorf("ClusterSecretStore Ready = %q, want True", got)
	}
	annotation := func(path, key string) string {
		out, _ := kubectlErr("get", "deployment", "example-app", "-n", "example",
			"-o", "jsonpath={"+path+".annotations."+jsonpathKey(key)+"}")
		return out
	}
	digest := func() string { return annotation(".spec.template.metadata", rollout.AnnotationConfigDigest) }
	// Ferry has seen the Deployment and the Secret it reads before the value changes.
	testenv.Eventually(t, 30*time.Second, "example-app watched", func() (bool, error) {
		return annotation(".metadata", rollout.AnnotationLastDigests) != "", nil
	})
	before := digest()

	// Step 6: a new value at AWS; ask for a sync rather than wait for the minute.
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("example"),
		SecretString: aws.String(`{"API_KEY":"7654321","API_HOST":"https://example.com"}`)}); err != nil {
		t.Fatal(err)
	}
	kubectl(t, "annotate", "externalsecret", "externalsecret-example", "-n", "example", "--overwrite", "force-sync=1")
	waitData(t, 60*time.Second, `{"API_HOST":"aHR0cHM6Ly9leGFtcGxlLmNvbQ==","API_KEY":"NzY1NDMyMQ=="}`)
	testenv.Eventually(t, 30*time.Second, "example-app restarted", func() (bool, error) {
		d := digest()
		return d != "" && d != before, nil
	})
}

// jsonpathKey escapes the dots of an annotation key for kubectl's jsonpath.
func jsonpathKey(key string) string {
	out := make([]byte, 0, len(key)+4)
	for i := range len(key) {
		if key[i] == '.' {
			out = append(out, '\\')
		}
		out = append(out, key[i])
	}
	return string(out)
}
