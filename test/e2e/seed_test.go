package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"sigs.k8s.io/yaml"

	"github.com/ferryhq/ferry/internal/testenv"
)

// TestSeedWalkthrough is the walkthrough of shared/seed: an AWS secret, a SecretStore that
// authenticates with the namespace's ServiceAccount (IRSA), an ExternalSecret that pulls
// every key into example-secret, refreshed every minute.
func TestSeedWalkthrough(t *testing.T) {
	moto, sm := motoWithExampleSecret(t)
	ctx := context.Background()
	port := freePort(t)
	startFerryWithWebhooks(t, motoEnv(moto), port)
	waitWebhook(t, port)

	for _, m := range seedManifests() {
		kubectl(t, "apply", "-f", m)
	}
	waitData(t, 60*time.Second, `{"API_HOST":"aHR0cHM6Ly9leGFtcGxlLmNvbQ==","API_KEY":"MTIzNDU2Nw=="}`)
	if got := kubectl(t, "get", "secret", "-n", "example", "example-secret", "-o", "jsonpath={.type}"); got != "Opaque" {
		t.Errorf("example-secret type = %q, want Opaque", got)
	}
	if got := kubectl(t, "get", "externalsecret", "-n", "example", "externalsecret-example",
		"-o", `jsonpath={.status.conditions[?(@.type=="Ready")].reason}`); got != "SecretSynced" {
		t.Errorf("ExternalSecret Ready reason = %q, want SecretSynced", got)
	}
	// Stored and shown as v1...
	if got := kubectl(t, "get", "externalsecret", "-n", "example", "externalsecret-example",
		"-o", "jsonpath={.apiVersion} {.spec.dataFrom[0].extract.key}"); got != "external-secrets.io/v1 example" {
		t.Errorf("v1 view = %q, want dataFrom[0].extract.key example", got)
	}
	// ...and read back in v1alpha1 exactly as written.
	for _, kind := range []string{"externalsecrets", "secretstores"} {
		name := map[string]string{"externalsecrets": "externalsecret-example", "secretstores": "secretstore-example"}[kind]
		file := map[string]string{"externalsecrets": "20-externalsecret.yaml", "secretstores": "10-secretstore.yaml"}[kind]
		got := kubectl(t, "get", kind+".v1alpha1.external-secrets.io", "-n", "example", name, "-o", "json")
		assertSameSpec(t, filepath.Join(root, "examples/seed", file), got)
	}

	// Rotate the value and add a key at AWS: the Secret follows within the 1m refresh
	// interval (plus up to 6s of jitter), with no action in the cluster.
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("example"),
		SecretString: aws.String(`{"API_KEY":"7654321","API_HOST":"https://example.com","API_USER":"ferry"}`)}); err != nil {
		t.Fatal(err)
	}
	waitData(t, 80*time.Second, `{"API_HOST":"aHR0cHM6Ly9leGFtcGxlLmNvbQ==","API_KEY":"NzY1NDMyMQ==","API_USER":"ZmVycnk="}`)

	// IRSA credentials are exchanged once and reused across syncs.
	if n := moto.Calls("AssumeRoleWithWebIdentity"); n != 1 {
		t.Errorf("AssumeRoleWithWebIdentity calls = %d over two syncs, want 1 (calls: %s)", n, moto)
	}
}

// assertSameSpec compares the spec of a manifest file with the spec of an object read back.
func assertSameSpec(t *testing.T, file, readBack string) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var written, got struct {
		APIVersion  string            `json:"apiVersion"`
		Annotations map[string]string `json:"-"`
		Metadata    struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(raw, &written); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(readBack), &got); err != nil {
		t.Fatal(err)
	}
	// The API server fills the schema defaults of the version written, as it does for any
	// CRD: ESO's v1alpha1 schema defaults dataFrom[].conversionStrategy to Default.
	if dataFrom, ok := written.Spec["dataFrom"].([]any); ok {
		for _, entry := range dataFrom {
			if m, ok := entry.(map[string]any); ok && m["conversionStrategy"] == nil {
				m["conversionStrategy"] = "Default"
			}
		}
	}
	if got.APIVersion != written.APIVersion || !reflect.DeepEqual(written.Spec, got.Spec) {
		t.Errorf("%s read back as %s differs:\nwritten: %v\nread:    %v", filepath.Base(file), got.APIVersion, written.Spec, got.Spec)
	}
	for k := range got.Metadata.Annotations {
		if strings.HasPrefix(k, "ferry.dev/") {
			t.Errorf("%s read back with Ferry's annotation %s", filepath.Base(file), k)
		}
	}
}

// seedManifests are the walkthrough's manifests as the repository ships them.
func seedManifests() []string {
	return []string{
		filepath.Join(root, "examples/seed/00-namespace.yaml"),
		filepath.Join(root, "examples/seed/10-secretstore.yaml"),
		filepath.Join(root, "examples/seed/20-externalsecret.yaml"),
	}
}

func waitData(t *testing.T, timeout time.Duration, want string) {
	t.Helper()
	testenv.Eventually(t, timeout, "example-secret data", func() (bool, error) {
		out, err := kubectlErr("get", "secret", "-n", "example", "example-secret", "-o", "jsonpath={.data}")
		return err == nil && jsonEqual(strings.TrimSpace(out), want), err
	})
}

func jsonEqual(a, b string) bool {
	var x, y map[string]string
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil || len(x) != len(y) {
		return false
	}
	for k, v := range y {
		if x[k] != v {
			return false
		}
	}
	return true
}

// motoWithExampleSecret starts moto holding the walkthrough's secret "example" with its two
// keys, and returns it with a Secrets Manager client of it.
func motoWithExampleSecret(t *testing.T) (*testenv.Moto, *secretsmanager.Client) {
	t.Helper()
	moto := testenv.MustStartMoto(t)
	sm := secretsManager(t, moto.Endpoint)
	if _, err := sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String("example"),
		SecretString: aws.String(`{"API_KEY":"1234567","API_HOST":"https://example.com"}`)}); err != nil {
		t.Fatal(err)
	}
	return moto, sm
}

// motoEnv is the environment that points Ferry's AWS SDK at moto, with keys of its own.
func motoEnv(moto *testenv.Moto) []string {
	return []string{"AWS_ENDPOINT_URL=" + moto.Endpoint, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"}
}

func secretsManager(t *testing.T, endpoint string) *secretsmanager.Client {
	t.Helper()
	return secretsmanager.NewFromConfig(testAWSConfig(t), func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// testAWSConfig is the SDK configuration of the tests' own AWS clients: moto's region, any keys.
func testAWSConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("eu-west-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
