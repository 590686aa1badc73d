package chart

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/testenv"
)

var (
	root     string
	chartDir string
	helmBin  string
	ferryBin string
	helmHome string
	// cp is the control plane; nil with -short, where only the tests without one run.
	cp *controlPlane
)

// controlPlane is a kube-apiserver and etcd with nothing installed: the chart brings the CRDs.
type controlPlane struct {
	env        *envtest.Environment
	cfg        *rest.Config
	client     client.Client
	dynamic    dynamic.Interface
	mapper     meta.RESTMapper
	kubeconfig string
}

func TestMain(m *testing.M) {
	flag.Parse()
	operatortest.SetLogger(nil, 0) // controller-runtime's clients log through it
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	if root, err = testenv.RepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	chartDir = filepath.Join(root, "deploy", "charts", "ferry")
	assets, err := testenv.AssetsDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	helmBin = filepath.Join(assets, "helm")
	if _, err := os.Stat(helmBin); err != nil {
		fmt.Fprintln(os.Stderr, "helm not built: run 'hack/tools.sh helm' (or 'make tools')")
		return 1
	}
	tmp, err := os.MkdirTemp("", "ferry-chart")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// Helm keeps its repositories, cache and plugins here, not in the user's home.
	helmHome = filepath.Join(tmp, "helm")
	ferryBin = filepath.Join(tmp, "ferry")
	build := exec.Command("go", "build", "-o", ferryBin, "./cmd/ferry")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ferry: %v\n%s", err, out)
		return 1
	}
	if testing.Short() {
		return m.Run()
	}
	if cp, err = startControlPlane(assets, tmp); err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	code := m.Run()
	if err := cp.env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
	}
	return code
}

func startControlPlane(assets, tmp string) (*controlPlane, error) {
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	cfg, err := env.Start()
	if err != nil {
		return nil, err
	}
	c := &controlPlane{env: env, cfg: cfg, kubeconfig: filepath.Join(tmp, "kubeconfig")}
	fail := func(err error) (*controlPlane, error) {
		_ = env.Stop()
		return nil, err
	}
	if c.client, err = client.New(cfg, client.Options{Scheme: operator.Scheme()}); err != nil {
		return fail(err)
	}
	if c.dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return fail(err)
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return fail(err)
	}
	if c.mapper, err = apiutil.NewDynamicRESTMapper(cfg, httpClient); err != nil {
		return fail(err)
	}
	if err := os.WriteFile(c.kubeconfig, env.KubeConfig, 0o600); err != nil {
		return fail(err)
	}
	return c, nil
}

// needControlPlane skips a test that needs the control plane in -short mode.
func needControlPlane(t *testing.T) {
	t.Helper()
	if cp == nil {
		t.Skip("needs the control plane: run without -short")
	}
}

// helm runs the pinned helm with a home of its own and returns stdout.
func helm(args ...string) (string, error) {
	cmd := exec.Command(helmBin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(helmHome, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(helmHome, "config"),
		"HELM_DATA_HOME="+filepath.Join(helmHome, "data"))
	if cp != nil {
		cmd.Env = append(cmd.Env, "KUBECONFIG="+cp.kubeconfig)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// valuesFile writes values (YAML) to a file of the test and returns its path.
func valuesFile(t *testing.T, values string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(path, []byte(values), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// render runs helm template for release in namespace with a values file, and returns the objects.
func render(t *testing.T, release, namespace, values string) []*unstructured.Unstructured {
	t.Helper()
	out, err := helm("template", release, chartDir, "--namespace", namespace, "-f", valuesFile(t, values))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(out)
	if err != nil {
		t.Fatalf("decoding helm template output: %v", err)
	}
	return objs
}

// decode splits a multi-document YAML stream into objects, skipping empty documents. Numbers
// decode as int64, as the API machinery does.
func decode(manifest string) ([]*unstructured.Unstructured, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(j)) == 0 || string(bytes.TrimSpace(j)) == "null" {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(j); err != nil {
			return nil, err
		}
		objs = append(objs, obj)
	}
}

// find returns the rendered objects of a kind, optionally with a name.
func find(objs []*unstructured.Unstructured, kind, name string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind && (name == "" || o.GetName() == name) {
			out = append(out, o)
		}
	}
	return out
}

// one returns the single rendered object of a kind and name, failing the test otherwise.
func one(t *testing.T, objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	t.Helper()
	found := find(objs, kind, name)
	if len(found) != 1 {
		t.Fatalf("rendered %d %s named %q, want 1 (rendered: %s)", len(found), kind, name, summary(objs))
	}
	return found[0]
}

func summary(objs []*unstructured.Unstructured) string {
	var names []string
	for _, o := range objs {
		names = append(names, o.GetKind()+"/"+o.GetName())
	}
	return strings.Join(names, ", ")
}

// apply sends obj to the API server with server-side apply; dryRun asks the server to run every
// check (schema, admission, RBAC validation) without storing anything.
func apply(ctx context.Context, obj *unstructured.Unstructured, dryRun bool) error {
	mapping, err := cp.mapper.RESTMapping(obj.GroupVersionKind().GroupKind(), obj.GroupVersionKind().Version)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = cp.dynamic.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = cp.dynamic.Resource(mapping.Resource).Namespace(obj.GetNamespace())
	}
	opts := metav1.ApplyOptions{FieldManager: "ferry-chart-test", Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = ri.Apply(ctx, obj.GetName(), obj, opts)
	return err
}

// ensureNamespace creates a namespace with labels unless it exists.
func ensureNamespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if err := cp.client.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// serviceAccountKubeconfig requests a token for a ServiceAccount and writes a kubeconfig that
// authenticates with it: the identity a Pod of the chart would have.
func serviceAccountKubeconfig(t *testing.T, namespace, name string) (string, *rest.Config) {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	expiry := int64(3600)
	req := &authv1.TokenRequest{Spec: authv1.TokenRequestSpec{ExpirationSeconds: &expiry}}
	if err := cp.client.SubResource("token").Create(context.Background(), sa, req); err != nil {
		t.Fatalf("requesting a token for ServiceAccount %s/%s: %v", namespace, name, err)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cp.cfg.Host, CertificateAuthorityData: cp.cfg.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: req.Status.Token}
	kc.Contexts["sa"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: name, Namespace: namespace}
	kc.CurrentContext = "sa"
	path := filepath.Join(t.TempDir(), "kubeconfig-"+name)
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	cfg := rest.CopyConfig(cp.cfg)
	cfg.CertData, cfg.KeyData, cfg.Username, cfg.Password = nil, nil, "", ""
	cfg.BearerToken = req.Status.Token
	return path, cfg
}

// startFerry runs the ferry binary with args until the test ends and returns the path of its log.
func startFerry(t *testing.T, kubeconfig, namespace string, args []string) string {
	t.Helper()
	logPath, stop := runFerry(t, kubeconfig, namespace, args)
	t.Cleanup(stop)
	return logPath
}

// runFerry runs the ferry binary with args and returns the path of its log and a function that
// stops it (with SIGINT, as the kubelet would with SIGTERM) and waits for it to exit.
func runFerry(t *testing.T, kubeconfig, namespace string, args []string) (string, func()) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "ferry.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ferryBin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "POD_NAMESPACE="+namespace)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	return logPath, func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logFile.Close()
		if t.Failed() {
			t.Logf("ferry log, errors first:\n%s", logDigest(logPath))
		}
	}
}

// logDigest returns the first error lines of a log, then its tail.
func logDigest(path string) string {
	b, _ := os.ReadFile(path)
	var errs []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `"level":"error"`) && len(errs) < 20 {
			errs = append(errs, line)
		}
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return strings.Join(errs, "\n") + "\n...\n" + string(b)
}
