package externalsecret_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/controller/externalsecret"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/testenv"
)

var (
	k8s client.Client
	// controlPlane is the package's control plane; token servers verify ServiceAccount
	// tokens with its issuer.
	controlPlane *testenv.ControlPlane
	// logs captures everything the operator logs, at every verbosity, so tests can check
	// that no secret value reaches a log line.
	logs syncBuffer
	// metricsURL is the operator's /metrics, as Prometheus scrapes it.
	metricsURL string
)

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

func TestMain(m *testing.M) {
	// Before the control plane starts: controller-runtime gives up waiting for a logger 30 s
	// after its first use and drops every line from then on, which a slow start on a loaded
	// machine reaches, and the leak test reads these logs.
	operatortest.SetLogger(&logs, 10)
	code := testenv.Run(m, func(cp *testenv.ControlPlane) {
		k8s, controlPlane = cp.Client, cp
		installWidgetCRD(cp)
		addr, err := testenv.FreeAddr()
		if err != nil {
			panic(err)
		}
		metricsURL = "http://" + addr + "/metrics"
		operatortest.MustStart(cp, operator.Options{
			MetricsAddr: addr,
			// Generic targets: ConfigMaps and Widgets (a test CRD) are watched; Gadgets are
			// allowed but not installed when the operator starts.
			GenericTargets: externalsecret.GenericTargets{Enabled: true,
				Kinds: []schema.GroupKind{{Kind: "ConfigMap"}, widgetGVK.GroupKind(), gadgetGVK.GroupKind()}},
			Providers:  provider.NewRegistry(fake.New()),
			Generators: testGenerators(cp),
			// Replaced generated tokens are cleaned up soon, so tests see it happen.
			GeneratorGCGracePeriod: 2 * time.Second,
			Concurrency:            4,
		})
	})
	stopSharedBackends()
	os.Exit(code)
}

// fakeStore creates a fake SecretStore with the given key/value pairs and waits until it is Ready.
func fakeStore(t *testing.T, ns, name string, kv ...string) *esv1.SecretStore {
	t.Helper()
	store := &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: fakeData(kv...)}}},
	}
	create(t, store)
	waitStoreReady(t, store)
	return store
}

func fakeData(kv ...string) []esv1.FakeProviderData {
	var data []esv1.FakeProviderData
	for i := 0; i+1 < len(kv); i += 2 {
		data = append(data, esv1.FakeProviderData{Key: kv[i], Value: kv[i+1]})
	}
	return data
}

func waitStoreReady(t *testing.T, store esv1.GenericStore) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, "store "+store.GetName()+" Ready", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(store), store); err != nil {
			return false, err
		}
		for _, c := range store.GetStatus().Conditions {
			if c.Type == esv1.SecretStoreReady {
				return c.Status == metav1.ConditionTrue, fmt.Errorf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
			}
		}
		return false, nil
	})
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// update applies mutate to a fresh copy of obj, retrying on conflicts.
func update[T client.Object](t *testing.T, obj T, mutate func(T)) {
	t.Helper()
	ctx := context.Background()
	for range 10 {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatal(err)
		}
		mutate(obj)
		err := k8s.Update(ctx, obj)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
	t.Fatalf("updating %s: too many conflicts", obj.GetName())
}

func externalSecret(ns, name, store string, interval time.Duration) *esv1.ExternalSecret {
	return &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef:  esv1.SecretStoreRef{Name: store, Kind: esv1.SecretStoreKind},
			RefreshInterval: esv1.NewDuration(interval),
		},
	}
}

func dataRef(secretKey, key, property string) esv1.ExternalSecretData {
	return esv1.ExternalSecretData{SecretKey: secretKey, RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: key, Property: property}}
}

// waitSecretData waits until the Secret holds exactly want.
func waitSecretData(t *testing.T, ns, name string, want map[string]string) *corev1.Secret {
	t.Helper()
	return waitSecretDataWithin(t, ns, name, want, 20*time.Second)
}

// waitSecretDataWithin waits up to timeout until the Secret holds exactly want.
func waitSecretDataWithin(t *testing.T, ns, name string, want map[string]string, timeout time.Duration) *corev1.Secret {
	t.Helper()
	secret := &corev1.Secret{}
	testenv.Eventually(t, timeout, "Secret "+name+" data", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, secret); err != nil {
			return false, err
		}
		if !sameData(secret.Data, want) {
			return false, fmt.Errorf("has keys %v", keys(secret.Data))
		}
		return true, nil
	})
	return secret
}

func sameData(got map[string][]byte, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		g, ok := got[k]
		if !ok || string(g) != v {
			return false
		}
	}
	return true
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// waitReady waits until the ExternalSecret's Ready condition has status and reason, and returns its message.
func waitReady(t *testing.T, es *esv1.ExternalSecret, status corev1.ConditionStatus, reason string) string {
	t.Helper()
	var msg string
	testenv.Eventually(t, 20*time.Second, fmt.Sprintf("ExternalSecret %s Ready=%s/%s", es.Name, status, reason), func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(es), es); err != nil {
			return false, err
		}
		for _, c := range es.Status.Conditions {
			if c.Type == esv1.ExternalSecretReady {
				msg = c.Message
				return c.Status == status && c.Reason == reason, fmt.Errorf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
			}
		}
		return false, nil
	})
	return msg
}

// eventNotes returns the notes of every event in the namespace.
func eventNotes(t *testing.T, ns string) []string {
	t.Helper()
	var list eventsv1.EventList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, e := range list.Items {
		notes = append(notes, e.Reason+": "+e.Note)
	}
	return notes
}
