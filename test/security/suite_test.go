package security

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/builtin"
	"github.com/ferryhq/ferry/internal/generator"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/aws"
	"github.com/ferryhq/ferry/internal/provider/azurekv"
	"github.com/ferryhq/ferry/internal/provider/conjur"
	"github.com/ferryhq/ferry/internal/provider/delinea"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/provider/gcpsm"
	"github.com/ferryhq/ferry/internal/provider/kubernetes"
	"github.com/ferryhq/ferry/internal/provider/previder"
	"github.com/ferryhq/ferry/internal/provider/vault"
	"github.com/ferryhq/ferry/internal/provider/webhook"
	"github.com/ferryhq/ferry/internal/rollout"
	"github.com/ferryhq/ferry/internal/testenv"
)

var (
	cp       *testenv.ControlPlane
	k8s      client.Client
	registry *provider.Registry
	// served is every provider the ferry binary serves (internal/builtin), for the checks
	// that judge stores without running them.
	served *provider.Registry
)

func TestMain(m *testing.M) {
	operatortest.SetLogger(nil, 1)
	os.Exit(testenv.Run(m, func(c *testenv.ControlPlane) {
		cp, k8s = c, c.Client
		var generators *generator.Registry
		served, generators = builtin.Registries(c.Config)
		// Every provider the binary serves; the fake one echoes values on request.
		registry = provider.NewRegistry(echoFake{fake.New()}, aws.New(), vault.New(),
			kubernetes.New(kubernetes.WithLocalCluster(c.Config)), webhook.New(), gcpsm.New(), azurekv.New(),
			conjur.New(), delinea.New(), previder.New())
		operatortest.MustStart(c, operator.Options{
			Providers:      registry,
			Generators:     generators, // the Webhook generator's Secrets must be labelled too (advisories_test.go)
			Concurrency:    4,
			RolloutEnabled: true,
			Rollout:        rollout.Options{Window: -1, MinInterval: -1, PerMinute: -1},
		})
	}))
}

// echoFake is the fake provider, except that reading the key "echo:<key>" fails with an
// error that quotes the value of <key>: a provider that echoes what it holds.
type echoFake struct{ *fake.Provider }

func (p echoFake) NewClient(ctx context.Context, store esv1.GenericStore, kube client.Client, namespace string) (provider.Client, error) {
	c, err := p.Provider.NewClient(ctx, store, kube, namespace)
	if err != nil {
		return nil, err
	}
	return echoClient{c.(*fake.Client)}, nil
}

type echoClient struct{ *fake.Client }

func (c echoClient) GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error) {
	if key, ok := strings.CutPrefix(ref.Key, "echo:"); ok {
		v, err := c.Client.GetSecret(ctx, esv1.ExternalSecretDataRemoteRef{Key: key})
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("the backend refused %s", v)
	}
	return c.Client.GetSecret(ctx, ref)
}

func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

// fakeStore creates a fake SecretStore (or, with ns "", ClusterSecretStore) and waits until
// it is Ready.
func fakeStore(t *testing.T, ns, name string, conditions []esv1.ClusterSecretStoreCondition, kv ...string) {
	t.Helper()
	spec := esv1.SecretStoreSpec{Conditions: conditions, Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{}}}
	for i := 0; i+1 < len(kv); i += 2 {
		spec.Provider.Fake.Data = append(spec.Provider.Fake.Data, esv1.FakeProviderData{Key: kv[i], Value: kv[i+1]})
	}
	var store esv1.GenericStore = &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
	if ns == "" {
		store = &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
		t.Cleanup(func() { _ = k8s.Delete(context.Background(), store) })
	}
	create(t, store)
	waitStore(t, store, metav1.ConditionTrue)
}

// waitStore waits until the store's Ready condition has status, and returns its message.
func waitStore(t *testing.T, store esv1.GenericStore, status metav1.ConditionStatus) string {
	t.Helper()
	var msg string
	testenv.Eventually(t, 20*time.Second, "store "+store.GetName()+" Ready="+string(status), func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(store), store); err != nil {
			return false, err
		}
		for _, c := range store.GetStatus().Conditions {
			if c.Type == esv1.SecretStoreReady {
				msg = c.Reason + ": " + c.Message
				return c.Status == status, fmt.Errorf("Ready=%s %s", c.Status, msg)
			}
		}
		return false, nil
	})
	return msg
}

// waitFailed waits until the ExternalSecret is Ready=False for a reason other than a store
// not validated yet, and returns "Reason: message".
func waitFailed(t *testing.T, ns, name string) string {
	t.Helper()
	var msg string
	testenv.Eventually(t, 20*time.Second, "ExternalSecret "+name+" failed", func() (bool, error) {
		var es esv1.ExternalSecret
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &es); err != nil {
			return false, err
		}
		for _, c := range es.Status.Conditions {
			if c.Type == esv1.ExternalSecretReady {
				msg = c.Reason + ": " + c.Message
				failed := c.Status == corev1.ConditionFalse && !operatortest.StorePending(c.Message)
				return failed, fmt.Errorf("Ready=%s %s", c.Status, msg)
			}
		}
		return false, nil
	})
	return msg
}

// waitSecret waits until the Secret exists and returns it.
func waitSecret(t *testing.T, ns, name string) *corev1.Secret {
	t.Helper()
	var s corev1.Secret
	testenv.Eventually(t, 20*time.Second, "Secret "+name, func() (bool, error) {
		err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s)
		return err == nil, client.IgnoreNotFound(err)
	})
	return &s
}

// assertNoSecret fails if the Secret exists.
func assertNoSecret(t *testing.T, ns, name string) {
	t.Helper()
	var s corev1.Secret
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s)
	if !apierrors.IsNotFound(err) {
		t.Errorf("Secret %s/%s exists (or could not be read: %v); nothing should have been written", ns, name, err)
	}
}

// externalSecret reads remote key (of the store named by ref) into "value".
func externalSecret(ns, name string, ref esv1.SecretStoreRef, key string) *esv1.ExternalSecret {
	return &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef:  ref,
			RefreshInterval: esv1.NewDuration(time.Hour),
			Data:            []esv1.ExternalSecretData{{SecretKey: "value", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: key}}},
		},
	}
}
