package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

// replica is one ferry process of a test; kill ends it with SIGKILL, as a node failure or
// the OOM killer would.
type replica struct {
	name string
	cmd  *exec.Cmd
	log  string
}

// startReplica runs the ferry binary until the test ends (or kill), logging to a file.
func startReplica(t *testing.T, name string, env []string, args ...string) *replica {
	t.Helper()
	ensureNamespace(t, "ferry-system")
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ferryBin, append([]string{"--operator-namespace=ferry-system",
		"--metrics-bind-address=0", "--health-probe-bind-address=0", "--webhook=false"}, args...)...)
	cmd.Env = append(os.Environ(), append([]string{"KUBECONFIG=" + kubeconfig}, env...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &replica{name: name, cmd: cmd, log: logPath}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s log:\n%s", name, tail(b, 8000))
		}
	})
	return r
}

func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill -9 %s: %v", r.name, err)
	}
}

func (r *replica) logged(text string) bool {
	b, _ := os.ReadFile(r.log)
	return strings.Contains(string(b), text)
}

// leaseHolder returns the holder of the Lease, or "".
func leaseHolder(name string) (string, error) {
	var lease coordinationv1.Lease
	if err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: "ferry-system", Name: name}, &lease); err != nil {
		return "", client.IgnoreNotFound(err)
	}
	if lease.Spec.HolderIdentity == nil {
		return "", nil
	}
	return *lease.Spec.HolderIdentity, nil
}

// digestWatch records every value the Deployment's pod-template restart annotation takes.
type digestWatch struct {
	mu     sync.Mutex
	values []string
}

func watchDigests(t *testing.T, ns, name string) *digestWatch {
	t.Helper()
	wc, err := client.NewWithWatch(cp.Config, client.Options{Scheme: testenv.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w, err := wc.Watch(ctx, &appsv1.DeploymentList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	dw := &digestWatch{}
	go func() {
		defer w.Stop()
		last := ""
		for ev := range w.ResultChan() {
			d, ok := ev.Object.(*appsv1.Deployment)
			if !ok || ev.Type == watch.Deleted || d.Name != name {
				continue
			}
			if v := d.Spec.Template.Annotations[rollout.AnnotationConfigDigest]; v != last {
				last = v
				dw.mu.Lock()
				dw.values = append(dw.values, v)
				dw.mu.Unlock()
			}
		}
	}()
	return dw
}

// restarts returns the restart annotation values seen, in order.
func (dw *digestWatch) restarts() []string {
	dw.mu.Lock()
	defer dw.mu.Unlock()
	return append([]string(nil), dw.values...)
}

// TestLeaderFailover runs two ferry replicas with leader election and kills the leader with
// SIGKILL twice: once in the middle of a sync (its provider call held at the proxy), once
// right after it restarted a workload. Each time the standby takes the Lease within the
// lease duration, finishes the work, and the workload is restarted exactly once per change:
// the digests Ferry records on the workload tell the new leader that a restart already
// happened.
func TestLeaderFailover(t *testing.T) {
	const (
		leaseName     = "ferry-failover-test"
		leaseDuration = 4 * time.Second
		retryPeriod   = 500 * time.Millisecond
	)
	moto := testenv.MustStartMoto(t)
	proxy := testenv.MustStartFaultProxy(t, moto.Endpoint)
	sm := secretsManager(t, moto.Endpoint)
	ctx := context.Background()
	ns := "failover"
	ensureNamespace(t, ns)
	key := ns + "/db"
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(key), SecretString: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	put := func(v string) {
		if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(key), SecretString: aws.String(v)}); err != nil {
			t.Fatal(err)
		}
	}

	env := []string{"AWS_ENDPOINT_URL=" + proxy.URL, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true"}
	args := []string{"--leader-elect=true", "--leader-election-id=" + leaseName,
		"--leader-election-lease-duration=" + leaseDuration.String(), "--leader-election-renew-deadline=3s",
		"--leader-election-retry-period=" + retryPeriod.String(),
		// Restart as soon as a change is seen, and allow restarts in quick succession, so
		// that a second restart would show within the test.
		"--rollout-window=500ms", "--rollout-min-interval=-1s", "-v=1"}
	a := startReplica(t, "a", env, args...)
	var holderA string
	testenv.Eventually(t, 30*time.Second, "a holds the Lease", func() (bool, error) {
		h, err := leaseHolder(leaseName)
		holderA = h
		return h != "", err
	})
	b := startReplica(t, "b", env, args...)

	mustCreate(t, &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aws"}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{AWS: &esv1.AWSProvider{Service: esv1.AWSServiceSecretsManager, Region: "eu-west-1"}}}})
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "aws"}, RefreshInterval: esv1.NewDuration(time.Hour),
		Data: []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: key}}},
	}})
	mustCreate(t, restartable(ns, "api", false))
	waitPassword(t, ns, "v1")
	// The Deployment may be recorded before the Secret exists (digest Absent); the Secret's
	// creation is then recorded by a second write, which bumps a Deployment's generation
	// like a restart does. Wait for the record of the Secret's data.
	testenv.Eventually(t, 30*time.Second, "api recorded with the Secret's data", func() (bool, error) {
		var d appsv1.Deployment
		err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "api"}, &d)
		digest, ok := rollout.ParseDigests(d.Annotations[rollout.AnnotationLastDigests])["secret/db"]
		return err == nil && ok && digest != rollout.Absent, err
	})
	var before appsv1.Deployment
	if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "api"}, &before); err != nil {
		t.Fatal(err)
	}
	digests := watchDigests(t, ns, "api")

	// 1. Kill the leader in the middle of a sync: its read of the new value is held.
	proxy.Set(testenv.Fault{Match: testenv.MatchSecretID(key), Latency: 3 * time.Second})
	put("v2")
	annotate(t, ns, "db", "force-sync", "1")
	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := proxy.WaitHeld(waitCtx); err != nil {
		t.Fatal(err)
	}
	if h, _ := leaseHolder(leaseName); h != holderA {
		t.Fatalf("the Lease moved to %q before the kill", h)
	}
	a.kill(t)
	killed := time.Now()
	proxy.Set(testenv.Fault{})
	holderB := waitTakeover(t, leaseName, holderA, killed, leaseDuration+2*retryPeriod+2*time.Second)
	waitPassword(t, ns, "v2")
	waitRestarts(t, digests, 1)

	// 2. Kill the new leader right after it restarted the workload; a fresh standby takes
	// over, looks at the workload, and must not restart it again.
	a2 := startReplica(t, "a2", env, args...)
	put("v3")
	annotate(t, ns, "db", "force-sync", "2")
	waitPassword(t, ns, "v3")
	waitRestarts(t, digests, 2)
	b.kill(t)
	waitTakeover(t, leaseName, holderB, time.Now(), leaseDuration+2*retryPeriod+2*time.Second)
	testenv.Eventually(t, 30*time.Second, "a2 looked at the workload", func() (bool, error) {
		return a2.logged(`"msg":"Workload up to date"`), nil
	})
	time.Sleep(2 * time.Second) // a restart would come within the 500ms window

	var after appsv1.Deployment
	if err := cp.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "api"}, &after); err != nil {
		t.Fatal(err)
	}
	if got := digests.restarts(); len(got) != 2 {
		t.Errorf("the workload's restart annotation took %d values %v over two changes, want 2", len(got), got)
	}
	if after.Generation != before.Generation+2 {
		t.Errorf("the workload's generation went from %d to %d over two changes, want +2", before.Generation, after.Generation)
	}
}

// waitTakeover waits until another replica than previous holds the Lease, within limit of
// since, and returns the new holder.
func waitTakeover(t *testing.T, lease, previous string, since time.Time, limit time.Duration) string {
	t.Helper()
	var holder string
	testenv.Eventually(t, limit+10*time.Second, "another replica takes the Lease", func() (bool, error) {
		h, err := leaseHolder(lease)
		holder = h
		return h != "" && h != previous, err
	})
	took := time.Since(since)
	t.Logf("the standby took the Lease %s after the kill", took.Round(100*time.Millisecond))
	if took > limit {
		t.Errorf("the standby took the Lease %s after the kill, want within %s (lease duration and retries)", took, limit)
	}
	return holder
}

func waitPassword(t *testing.T, ns, want string) {
	t.Helper()
	testenv.Eventually(t, 60*time.Second, "Secret db holds "+want, func() (bool, error) {
		var s corev1.Secret
		err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "db"}, &s)
		return err == nil && string(s.Data["password"]) == want, client.IgnoreNotFound(err)
	})
}

func waitRestarts(t *testing.T, digests *digestWatch, n int) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, "workload restarted", func() (bool, error) {
		return len(digests.restarts()) >= n, nil
	})
}
