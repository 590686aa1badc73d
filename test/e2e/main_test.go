package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/testenv"
)

var (
	cp         *testenv.ControlPlane
	root       string
	kubectlBin string
	ferryBin   string
	kubeconfig string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if root, err = testenv.RepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	assets, err := testenv.AssetsDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	kubectlBin = filepath.Join(assets, "kubectl")
	if _, err := os.Stat(kubectlBin); err != nil {
		fmt.Fprintln(os.Stderr, "kubectl not built: run 'hack/tools.sh kubectl'")
		return 1
	}
	tmp, err := os.MkdirTemp("", "ferry-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	ferryBin = filepath.Join(tmp, "ferry")
	build := exec.Command("go", "build", "-o", ferryBin, "./cmd/ferry")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ferry: %v\n%s", err, out)
		return 1
	}
	return testenv.Run(m, func(c *testenv.ControlPlane) {
		cp = c
		kubeconfig = filepath.Join(tmp, "kubeconfig")
		if err := os.WriteFile(kubeconfig, c.Env.KubeConfig, 0o600); err != nil {
			panic(err)
		}
	})
}

// kubectl runs the built kubectl against the test control plane and returns stdout.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectlErr(args...)
	if err != nil {
		t.Fatalf("kubectl %v: %v", args, err)
	}
	return out
}

func kubectlErr(args ...string) (string, error) {
	cmd := exec.Command(kubectlBin, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

// startFerry runs the ferry binary with the given environment until the test ends, and
// returns the path of its log.
func startFerry(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ensureNamespace(t, "ferry-system")
	logPath := filepath.Join(t.TempDir(), "ferry.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ferryBin, append([]string{"--leader-elect=false", "--operator-namespace=ferry-system",
		"--metrics-bind-address=0", "--health-probe-bind-address=0", "--webhook=false"}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{"KUBECONFIG=" + kubeconfig}, env...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("ferry log:\n%s", tail(b, 4000))
		}
	})
	return logPath
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func ensureNamespace(t *testing.T, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := cp.Client.Create(context.Background(), ns); err != nil && !isAlreadyExists(err) {
		t.Fatal(err)
	}
}

func isAlreadyExists(err error) bool {
	return client.IgnoreAlreadyExists(err) == nil
}

// kubectlApplyStdin applies a manifest given as text.
func kubectlApplyStdin(manifest string) (string, error) {
	cmd := exec.Command(kubectlBin, "--kubeconfig", kubeconfig, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(manifest)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

// freePort returns a free loopback port.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// startFerryWithWebhooks runs Ferry serving its webhooks on port and, when the test ends
// and Ferry has stopped, takes back what they registered (restoreWebhookState), so that
// later tests do not meet a webhook that no longer answers.
func startFerryWithWebhooks(t *testing.T, env []string, port string) string {
	t.Helper()
	restoreWebhookState(t)
	return startFerry(t, env, webhookArgs(port)...)
}

// webhookArgs serves Ferry's webhooks on a loopback port the API server reaches by URL.
func webhookArgs(port string) []string {
	return []string{"--webhook=true", "--webhook-host=127.0.0.1", "--webhook-port=" + port, "--webhook-url=https://127.0.0.1:" + port}
}
