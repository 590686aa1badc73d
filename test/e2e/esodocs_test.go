package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/ferryhq/ferry/internal/testenv"
)

// The tests in the esodocs_*_test.go files apply manifests shaped as ESO's documentation
// snippets (test/e2e/testdata/eso-docs, each file naming the snippet it stands for) to the
// real binary, and check what ESO's documentation says the feature does.

// applyESODoc applies testdata/eso-docs/<name>, with each ${KEY} of vars replaced by its
// value. When the test ends, while Ferry still runs (call it after startFerry), the objects
// are deleted again, so that no later test's Ferry meets them; the namespaces stay, since
// the test control plane runs no namespace controller to empty them.
func applyESODoc(t *testing.T, name string, vars map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "test/e2e/testdata/eso-docs", name))
	if err != nil {
		t.Fatal(err)
	}
	manifest := string(raw)
	for key, value := range vars {
		manifest = strings.ReplaceAll(manifest, "${"+key+"}", value)
	}
	if strings.Contains(manifest, "${") {
		t.Fatalf("%s: a ${...} placeholder was left unset", name)
	}
	apply(t, manifest)
	t.Cleanup(func() { deleteExceptNamespaces(t, manifest) })
}

// deleteExceptNamespaces deletes the objects of a manifest but its Namespaces, waiting for
// their finalizers (a PushSecret's deletes what it pushed).
func deleteExceptNamespaces(t *testing.T, manifest string) {
	t.Helper()
	var kept []string
	for _, doc := range strings.Split(manifest, "\n---\n") {
		if !namespaceDoc.MatchString(doc) {
			kept = append(kept, doc)
		}
	}
	cmd := exec.Command(kubectlBin, "--kubeconfig", kubeconfig, "delete", "--ignore-not-found", "--timeout=30s", "-f", "-")
	cmd.Stdin = strings.NewReader(strings.Join(kept, "\n---\n"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("deleting the objects of the test: %v: %s", err, out)
	}
}

var namespaceDoc = regexp.MustCompile(`(?m)^kind: Namespace$`)

// jsonpathOf reads one jsonpath of an object of namespace ns ("" for a cluster-scoped one)
// with kubectl; "" when the object does not exist.
func jsonpathOf(ns, resource, name, jsonpath string) string {
	args := []string{"get", resource, name, "-o", "jsonpath=" + jsonpath}
	if ns != "" {
		args = append(args, "-n", ns)
	}
	out, err := kubectlErr(args...)
	if err != nil {
		return ""
	}
	return out
}

// secretData returns the decoded data of Secret ns/name, or nil when it does not exist.
func secretData(ns, name string) map[string]string {
	out, err := kubectlErr("get", "secret", "-n", ns, name, "-o", "jsonpath={.data}")
	if err != nil || out == "" {
		return nil
	}
	var encoded map[string]string
	if json.Unmarshal([]byte(out), &encoded) != nil {
		return nil
	}
	data := make(map[string]string, len(encoded))
	for k, v := range encoded {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil
		}
		data[k] = string(b)
	}
	return data
}

// waitSecretData waits until Secret ns/name exists with keys and returns its decoded data.
func waitSecretKeys(t *testing.T, timeout time.Duration, ns, name string, keys ...string) map[string]string {
	t.Helper()
	var data map[string]string
	testenv.Eventually(t, timeout, "Secret "+ns+"/"+name+" with keys "+strings.Join(keys, ", "), func() (bool, error) {
		data = secretData(ns, name)
		for _, k := range keys {
			if _, ok := data[k]; !ok {
				return false, fmt.Errorf("keys so far: %v; ExternalSecret status: %s", keysOf(data),
					jsonpathOf(ns, "externalsecret", name, "{.status.conditions}"))
			}
		}
		return true, nil
	})
	return data
}

func keysOf(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// readyReason returns the reason and message of the Ready condition of an object.
func readyReason(ns, resource, name string) (reason, message string) {
	out := jsonpathOf(ns, resource, name, `{.status.conditions[?(@.type=="Ready")].reason}|{.status.conditions[?(@.type=="Ready")].message}`)
	reason, message, _ = strings.Cut(out, "|")
	return reason, message
}

// waitReadyReason waits until the Ready condition of an object has reason, and returns its
// message.
func waitReadyReason(t *testing.T, timeout time.Duration, ns, resource, name, reason string) string {
	t.Helper()
	var message string
	testenv.Eventually(t, timeout, resource+" "+ns+"/"+name+" Ready reason "+reason, func() (bool, error) {
		got, msg := readyReason(ns, resource, name)
		message = msg
		return got == reason, fmt.Errorf("reason %q: %s", got, msg)
	})
	return message
}

// smValue returns the SecretString of a Secrets Manager secret, or "" when it does not exist.
func smValue(sm *secretsmanager.Client, id string) string {
	out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return ""
	}
	return aws.ToString(out.SecretString)
}

// waitSMValue waits until the Secrets Manager secret id holds want.
func waitSMValue(t *testing.T, timeout time.Duration, sm *secretsmanager.Client, id, want string) {
	t.Helper()
	testenv.Eventually(t, timeout, "secret "+id+" at moto holds the pushed value", func() (bool, error) {
		got := smValue(sm, id)
		return got == want, fmt.Errorf("it holds %d bytes", len(got))
	})
}

// parameterValue returns the decrypted value of an SSM parameter, or "" when it does not exist.
func parameterValue(params *ssm.Client, name string) string {
	out, err := params.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil || out.Parameter == nil {
		return ""
	}
	return aws.ToString(out.Parameter.Value)
}

// waitParameter waits until the SSM parameter name holds want.
func waitParameter(t *testing.T, timeout time.Duration, params *ssm.Client, name, want string) {
	t.Helper()
	testenv.Eventually(t, timeout, "parameter "+name+" at moto holds the pushed value", func() (bool, error) {
		got := parameterValue(params, name)
		return got == want, fmt.Errorf("it holds %q", got)
	})
}

func parameterStore(t *testing.T, endpoint string) *ssm.Client {
	t.Helper()
	return ssm.NewFromConfig(testAWSConfig(t), func(o *ssm.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// secretsManagerIn is a Secrets Manager client of moto for another region than the tests' own.
func secretsManagerIn(t *testing.T, endpoint, region string) *secretsmanager.Client {
	t.Helper()
	return secretsmanager.NewFromConfig(testAWSConfig(t), func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.Region = region
	})
}
