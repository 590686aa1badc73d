package fanout_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	k8s          client.Client
	controlPlane *testenv.ControlPlane
)

func TestMain(m *testing.M) {
	operatortest.SetLogger(nil, 0)
	os.Exit(testenv.Run(m, func(cp *testenv.ControlPlane) {
		k8s, controlPlane = cp.Client, cp
		operatortest.MustStart(cp, operator.Options{Providers: provider.NewRegistry(fake.New())})
	}))
}

func TestFanOutAndRemoval(t *testing.T) {
	ctx := context.Background()
	team := "team-" + fmt.Sprint(time.Now().UnixNano())
	a := testenv.Namespace(t, k8s, map[string]string{"team": team})
	b := testenv.Namespace(t, k8s, map[string]string{"team": team})
	other := testenv.Namespace(t, k8s, nil)
	taken := testenv.Namespace(t, k8s, nil)

	store := &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "css-" + team},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{
			Data: []esv1.FakeProviderData{{Key: "shared", Value: "v1"}}}}}}
	if err := k8s.Create(ctx, store); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, store) })

	// An ExternalSecret of the same name that the ClusterExternalSecret must not take over.
	foreign := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: taken, Name: "shared"},
		Spec: esv1.ExternalSecretSpec{SecretStoreRef: esv1.SecretStoreRef{Name: "nope"},
			Data: []esv1.ExternalSecretData{{SecretKey: "x", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "x"}}}}}
	if err := k8s.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}

	ces := &esv1.ClusterExternalSecret{ObjectMeta: metav1.ObjectMeta{Name: "ces-" + team},
		Spec: esv1.ClusterExternalSecretSpec{
			ExternalSecretName:     "shared",
			ExternalSecretMetadata: &esv1.ExternalSecretMetadata{Labels: map[string]string{"from": "ces"}},
			NamespaceSelectors:     []*metav1.LabelSelector{{MatchLabels: map[string]string{"team": team}}},
			Namespaces:             []esv1.NamespaceName{esv1.NamespaceName(taken)},
			RefreshInterval:        esv1.NewDuration(time.Second),
			ExternalSecretSpec: esv1.ExternalSecretSpec{
				SecretStoreRef:  esv1.SecretStoreRef{Name: store.Name, Kind: esv1.ClusterSecretStoreKind},
				RefreshInterval: esv1.NewDuration(time.Hour),
				Data:            []esv1.ExternalSecretData{{SecretKey: "value", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "shared"}}},
			},
		}}
	if err := k8s.Create(ctx, ces); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, ces) })

	for _, ns := range []string{a, b} {
		testenv.Eventually(t, 20*time.Second, "Secret in "+ns, func() (bool, error) {
			var s corev1.Secret
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shared"}, &s); err != nil {
				return false, err
			}
			return string(s.Data["value"]) == "v1", nil
		})
		var es esv1.ExternalSecret
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shared"}, &es); err != nil {
			t.Fatal(err)
		}
		if owner := metav1.GetControllerOf(&es); owner == nil || owner.Kind != "ClusterExternalSecret" || owner.Name != ces.Name {
			t.Errorf("ExternalSecret in %s is not owned by the ClusterExternalSecret: %+v", ns, owner)
		}
		if es.Labels["from"] != "ces" {
			t.Errorf("ExternalSecret in %s lacks the metadata labels: %v", ns, es.Labels)
		}
	}
	waitStatus(t, ces, []string{a, b}, []string{taken})
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(foreign), foreign); err != nil {
		t.Fatal(err)
	}
	if metav1.GetControllerOf(foreign) != nil || foreign.Spec.SecretStoreRef.Name != "nope" {
		t.Errorf("the foreign ExternalSecret was taken over")
	}
	if assertAbsent(t, other); t.Failed() {
		return
	}

	// b stops matching: its ExternalSecret goes.
	var nsB corev1.Namespace
	if err := k8s.Get(ctx, client.ObjectKey{Name: b}, &nsB); err != nil {
		t.Fatal(err)
	}
	nsB.Labels = map[string]string{"team": "elsewhere"}
	if err := k8s.Update(ctx, &nsB); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "ExternalSecret removed from "+b, func() (bool, error) {
		err := k8s.Get(ctx, client.ObjectKey{Namespace: b, Name: "shared"}, &esv1.ExternalSecret{})
		if err == nil {
			_ = k8s.Get(ctx, client.ObjectKeyFromObject(ces), ces)
			return false, fmt.Errorf("still there; status %+v", ces.Status)
		}
		return apierrors.IsNotFound(err), err
	})
	waitStatus(t, ces, []string{a}, []string{taken})
}

func assertAbsent(t *testing.T, ns string) {
	t.Helper()
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "shared"}, &esv1.ExternalSecret{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("an ExternalSecret was created in unselected namespace %s (err=%v)", ns, err)
	}
}

func waitStatus(t *testing.T, ces *esv1.ClusterExternalSecret, provisioned, failed []string) {
	t.Helper()
	slices.Sort(provisioned)
	testenv.Eventually(t, 20*time.Second, "ClusterExternalSecret status", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(ces), ces); err != nil {
			return false, err
		}
		var gotFailed []string
		for _, f := range ces.Status.FailedNamespaces {
			gotFailed = append(gotFailed, f.Namespace)
		}
		ok := slices.Equal(ces.Status.ProvisionedNamespaces, provisioned) && slices.Equal(gotFailed, failed)
		return ok, fmt.Errorf("provisioned %v failed %v", ces.Status.ProvisionedNamespaces, ces.Status.FailedNamespaces)
	})
	if len(failed) > 0 && ces.Status.FailedNamespaces[0].Reason == "" {
		t.Error("a failed namespace has no reason")
	}
	for _, c := range ces.Status.Conditions {
		want := metav1.ConditionTrue
		if len(failed) > 0 {
			want = metav1.ConditionFalse
		}
		if c.Type == esv1.ClusterExternalSecretReady && c.Status != want {
			t.Errorf("Ready = %s, want %s (%s)", c.Status, want, c.Message)
		}
	}
}
