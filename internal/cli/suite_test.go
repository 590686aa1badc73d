package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/testenv"
)

var (
	// k8s is the test's own (admin) client; the commands build theirs from kubeconfig.
	k8s        client.Client
	kubeconfig string
)

// TestMain starts a control plane with Ferry running in-process (fake provider), so the
// commands are exercised against what a user has: a real API server and a real operator.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "ferry-cli")
	if err != nil {
		panic(err)
	}
	operatortest.SetLogger(nil, 0)
	code := testenv.Run(m, func(cp *testenv.ControlPlane) {
		k8s = cp.Client
		kubeconfig = filepath.Join(dir, "kubeconfig")
		if err := os.WriteFile(kubeconfig, cp.Env.KubeConfig, 0o600); err != nil {
			panic(err)
		}
		operatortest.MustStart(cp, operator.Options{Providers: provider.NewRegistry(fake.New())})
	})
	os.RemoveAll(dir)
	os.Exit(code)
}

func needControlPlane(t *testing.T) {
	t.Helper()
	if k8s == nil {
		t.Skip("needs the control plane: run without -short")
	}
}

// run runs a command as a user would, with the test control plane's kubeconfig.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := Main(append(args, "--kubeconfig", kubeconfig), &out, &errOut)
	return out.String() + errOut.String(), err
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

func fakeStore(namespace, name string, kv ...string) *esv1.SecretStore {
	var data []esv1.FakeProviderData
	for i := 0; i+1 < len(kv); i += 2 {
		data = append(data, esv1.FakeProviderData{Key: kv[i], Value: kv[i+1]})
	}
	return &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: data}}}}
}

func externalSecret(namespace, name, store, secretKey, remoteKey string) *esv1.ExternalSecret {
	return &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef:  esv1.SecretStoreRef{Name: store},
		RefreshInterval: esv1.NewDuration(time.Hour),
		Data:            []esv1.ExternalSecretData{{SecretKey: secretKey, RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: remoteKey}}},
	}}
}

// waitReady waits until the ExternalSecret's Ready condition has the given reason.
func waitReason(t *testing.T, namespace, name, reason string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, name+" "+reason, func() (bool, error) {
		var es esv1.ExternalSecret
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &es); err != nil {
			return false, err
		}
		c := readyCondition(&es)
		if c == nil {
			return false, nil
		}
		return c.Reason == reason, fmt.Errorf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
	})
}
