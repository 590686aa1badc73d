package rollout_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferryhq/ferry/internal/logging"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// Each test runs Ferry as a process of its own — this test binary started again in "Ferry
// mode", building the operator with operator.New exactly as main does — watching only the
// test's namespace. Restarting Ferry is then what it is in a cluster: the process stops and
// a new one starts, with nothing in memory.

// childEnv carries, to a Ferry process, its childConfig as JSON.
const childEnv = "FERRY_ROLLOUT_TEST_FERRY"

type childConfig struct {
	Kubeconfig  string
	Namespace   string
	MetricsAddr string
	Rollout     rollout.Options
}

var (
	k8s        client.Client
	restConfig *rest.Config
	kubeconfig string
	// kcm is true when a real kube-controller-manager runs beside the control plane, so
	// that Deployments make ReplicaSets.
	kcm bool
	// hashKey is the key every Ferry process of the tests uses, so tests can compute the
	// digest they expect.
	hashKey = []byte("test-hash-key-of-at-least-32-bytes!!")
)

func TestMain(m *testing.M) {
	if raw := os.Getenv(childEnv); raw != "" {
		os.Exit(runFerry(raw))
	}
	dir, err := os.MkdirTemp("", "ferry-rollout-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var waitKCM func()
	code := testenv.Run(m, func(cp *testenv.ControlPlane) {
		k8s, restConfig = cp.Client, cp.Config
		if kubeconfig, err = writeKubeconfig(dir, cp.Config); err != nil {
			panic(err)
		}
		// The controller manager stops with cp.Ctx, before the API server does.
		waitKCM, err = startControllerManager(cp.Ctx, kubeconfig, dir)
		if err != nil {
			panic(err)
		}
		kcm = waitKCM != nil
	})
	if waitKCM != nil {
		waitKCM()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// runFerry is the body of a Ferry process: the operator with the fake provider and
// rollouts on, until SIGTERM.
func runFerry(raw string) int {
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "ferry: bad config:", err)
		return 2
	}
	ctrl.SetLogger(logging.New(os.Stderr, logging.MaxVerbosity))
	restCfg, err := clientcmd.BuildConfigFromFlags("", cfg.Kubeconfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferry:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	mgr, err := operator.New(ctx, restCfg, operator.Options{
		Namespace: cfg.Namespace, MetricsAddr: cfg.MetricsAddr, HashKey: hashKey,
		Providers: provider.NewRegistry(fake.New()), Concurrency: 2,
		RolloutEnabled: true, Rollout: cfg.Rollout,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferry:", err)
		return 1
	}
	if err := mgr.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ferry:", err)
		return 1
	}
	return 0
}

func writeKubeconfig(dir string, cfg *rest.Config) (string, error) {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	path := filepath.Join(dir, "kubeconfig")
	return path, clientcmd.WriteToFile(*kc, path)
}

// ferry is one running Ferry process.
type ferry struct {
	cmd         *exec.Cmd
	logs        *syncBuffer
	metricsAddr string
	exited      chan struct{}
}

// startFerry starts Ferry for namespace ns and waits until its controllers run; the test's
// cleanup stops it.
func startFerry(t *testing.T, ns string, opts rollout.Options) *ferry {
	t.Helper()
	opts.APIPollInterval = 500 * time.Millisecond // Argo Rollouts' CRD appears within a test
	addr, err := testenv.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(childConfig{Kubeconfig: kubeconfig, Namespace: ns, MetricsAddr: addr, Rollout: opts})
	if err != nil {
		t.Fatal(err)
	}
	var cfg childConfig
	_ = json.Unmarshal(raw, &cfg)
	f := &ferry{logs: &syncBuffer{}, metricsAddr: cfg.MetricsAddr, exited: make(chan struct{})}
	f.cmd = exec.Command(os.Args[0])
	f.cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	f.cmd.Stdout, f.cmd.Stderr = f.logs, f.logs
	dieWithParent(f.cmd)
	if err := f.cmd.Start(); err != nil {
		t.Fatalf("starting Ferry: %v", err)
	}
	go func() { _ = f.cmd.Wait(); close(f.exited) }()
	t.Cleanup(func() {
		f.stop(t)
		if t.Failed() {
			t.Logf("Ferry's log:\n%s", f.logs.String())
		}
	})
	for _, c := range ferryControllers(opts) {
		f.waitLog(t, `"msg":"Starting workers"`, `"controller":"`+c+`"`)
	}
	return f
}

// ferryControllers are the controllers a Ferry process with these options starts at once.
func ferryControllers(opts rollout.Options) []string {
	out := []string{"externalsecret"}
	for _, kind := range []string{"deployment", "statefulset", "daemonset", "cronjob", "job"} {
		if !slices.Contains(opts.IgnoredWorkloadTypes, kind+"s") {
			out = append(out, "rollout-"+kind)
		}
	}
	return out
}

// stop sends SIGTERM and waits for the process to end, as a Pod termination would.
func (f *ferry) stop(t *testing.T) {
	t.Helper()
	select {
	case <-f.exited:
		return
	default:
	}
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(20 * time.Second):
		_ = f.cmd.Process.Kill()
		<-f.exited
		t.Errorf("Ferry did not stop within 20s of SIGTERM")
	}
}

// waitLog waits until one line of Ferry's log holds every substring.
func (f *ferry) waitLog(t *testing.T, substrs ...string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("Ferry logs a line with %q", substrs), func() (bool, error) {
		select {
		case <-f.exited:
			t.Fatalf("Ferry exited:\n%s", f.logs.String())
		default:
		}
		return f.logged(substrs...), nil
	})
}

// logged reports whether one line of Ferry's log holds every substring.
func (f *ferry) logged(substrs ...string) bool {
	for line := range strings.Lines(f.logs.String()) {
		all := true
		for _, s := range substrs {
			all = all && strings.Contains(line, s)
		}
		if all {
			return true
		}
	}
	return false
}

// metric scrapes Ferry's metrics endpoint and returns the value of the series name{labels}
// (0 when absent).
func (f *ferry) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + f.metricsAddr + "/metrics")
	if err != nil {
		t.Fatalf("scraping metrics: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 0; i+1 < len(labels); i += 2 {
		want = append(want, labels[i]+`="`+labels[i+1]+`"`)
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		series, value, ok := strings.Cut(line, " ")
		if !ok || (series != name && !strings.HasPrefix(series, name+"{")) {
			continue
		}
		match := true
		for _, l := range want {
			match = match && strings.Contains(series, l)
		}
		if match {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			return v
		}
	}
	return 0
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startControllerManager runs kube-controller-manager's Deployment and ReplicaSet
// controllers until ctx ends, when the binary was built beside the control plane's;
// otherwise it returns nil and the pod-template change is the evidence of a rollout. The
// function it returns waits for the process to end.
func startControllerManager(ctx context.Context, kubeconfig, dir string) (func(), error) {
	assets, err := testenv.AssetsDir()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(assets, "kube-controller-manager")
	if _, err := os.Stat(bin); err != nil {
		return nil, nil
	}
	logFile, err := os.Create(filepath.Join(dir, "kube-controller-manager.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "--kubeconfig="+kubeconfig, "--leader-elect=false", "--secure-port=0",
		"--controllers=deployment-controller,replicaset-controller", "--concurrent-deployment-syncs=2", "--concurrent-replicaset-syncs=2")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting kube-controller-manager: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(done)
	}()
	return func() { <-done }, nil
}
