package testenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	esv1beta1 "github.com/ferryhq/ferry/api/externalsecrets/v1beta1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// RepoRoot returns the repository root, found by walking up from the working directory to
// the directory holding the main go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module github.com/ferryhq/ferry\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root not found above the working directory")
		}
		dir = parent
	}
}

// AssetsDir returns the directory holding kube-apiserver and etcd: $KUBEBUILDER_ASSETS, or
// the repository's .cache/bin. It fails with the command that builds them when missing.
func AssetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, ".cache", "bin")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, bin)); err != nil {
			return "", fmt.Errorf("%s not found in %s: run 'hack/tools.sh' (or 'make tools') to build it", bin, dir)
		}
	}
	return dir, nil
}

// Scheme returns a scheme with the core Kubernetes types and Ferry's API.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := esv1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := esv1beta1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := esv1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := genv1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

func hubScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := esv1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}

// ControlPlane is a running kube-apiserver and etcd with Ferry's CRDs installed.
type ControlPlane struct {
	Env    *envtest.Environment
	Config *rest.Config
	Client client.Client
	// Ctx is canceled before the control plane stops: run operators under it.
	Ctx    context.Context
	cancel context.CancelFunc
}

// StartControlPlane starts a control plane with the CRDs of config/crd/bases installed.
// Call Stop when done; packages start one in TestMain.
func StartControlPlane() (*ControlPlane, error) {
	return startControlPlane(envtest.ControlPlane{})
}

// startControlPlane starts etcd and kube-apiserver, configured by plane, with Ferry's CRDs.
func startControlPlane(plane envtest.ControlPlane) (*ControlPlane, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		// Only the hub version: envtest would otherwise point the CRDs' conversion at a
		// webhook of its own. Ferry's webhook, when a test runs it, injects its own.
		Scheme:       hubScheme(),
		ControlPlane: plane,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	cfg.QPS, cfg.Burst = 200, 400
	c, err := client.New(cfg, client.Options{Scheme: Scheme()})
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &ControlPlane{Env: env, Config: cfg, Client: c, Ctx: ctx, cancel: cancel}, nil
}

// Stop stops the control plane.
func (cp *ControlPlane) Stop() error {
	cp.cancel()
	time.Sleep(200 * time.Millisecond) // let operators under Ctx wind down first
	return cp.Env.Stop()
}

// Run is a TestMain body: it starts a control plane, hands it to the package through set,
// runs the tests and stops everything. It exits non-zero, with the reason, when the control
// plane cannot start, so a missing binary fails the run instead of skipping it.
//
// When the binary only fuzzes (go test -run '^$' -fuzz F, and each fuzzing worker it
// starts), no control plane is started and set is not called: fuzz targets are pure and
// must not use the package's control plane.
func Run(m *testing.M, set func(*ControlPlane)) int {
	if fuzzingOnly() {
		return m.Run()
	}
	cp, err := StartControlPlane()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	set(cp)
	code := m.Run()
	if err := cp.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "testenv: stopping control plane:", err)
	}
	return code
}

// fuzzingOnly says whether the test binary runs a fuzz target and no test.
func fuzzingOnly() bool {
	if !flag.Parsed() {
		flag.Parse()
	}
	fuzz, run := flag.Lookup("test.fuzz"), flag.Lookup("test.run")
	return fuzz != nil && fuzz.Value.String() != "" && run != nil && run.Value.String() == "^$"
}

// Namespace creates a fresh namespace for one test and deletes it when the test ends.
func Namespace(t testing.TB, c client.Client, labels map[string]string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-", Labels: labels}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Create(ctx, ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Delete(ctx, ns)
	})
	return ns.Name
}

// Eventually polls cond every 50ms until it returns true or timeout passes, then fails the
// test with msg and the last error cond reported.
func Eventually(t testing.TB, timeout time.Duration, msg string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		last = err
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after %s (last error: %v)", msg, timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
