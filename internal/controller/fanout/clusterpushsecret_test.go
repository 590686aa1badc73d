package fanout_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/conditions"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestClusterPushSecretFanOut: a ClusterPushSecret keeps an owned PushSecret, with its
// metadata, in each namespace its selectors match; each of them pushes that namespace's
// Secret (Ready, with what it pushed recorded). A PushSecret of the same name it does not
// own is left alone and its namespace reported as failed; a namespace that stops matching
// loses its PushSecret.
func TestClusterPushSecretFanOut(t *testing.T) {
	ctx := context.Background()
	team := "push-" + fmt.Sprint(time.Now().UnixNano())
	a := testenv.Namespace(t, k8s, map[string]string{"team": team})
	b := testenv.Namespace(t, k8s, map[string]string{"team": team})
	taken := testenv.Namespace(t, k8s, map[string]string{"team": team})
	other := testenv.Namespace(t, k8s, nil)
	for _, ns := range []string{a, b, taken, other} {
		if err := k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
			Data: map[string][]byte{"token": []byte("t0ken-" + ns)}}); err != nil {
			t.Fatal(err)
		}
	}
	store := &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: "css-" + team},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: []esv1.FakeProviderData{}}}}}
	if err := k8s.Create(ctx, store); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, store) })

	spec := esv1alpha1.PushSecretSpec{
		RefreshInterval: esv1.NewDuration(time.Hour),
		SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{{Name: store.Name, Kind: esv1.ClusterSecretStoreKind}},
		DeletionPolicy:  esv1alpha1.PushSecretDeletionPolicyNone,
		Selector:        esv1alpha1.PushSecretSelector{Secret: &esv1alpha1.PushSecretSecret{Name: "source"}},
		Data: []esv1alpha1.PushSecretData{{Match: esv1alpha1.PushSecretMatch{SecretKey: "token",
			RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: "remote-token"}}}},
	}
	foreign := &esv1alpha1.PushSecret{ObjectMeta: metav1.ObjectMeta{Namespace: taken, Name: "pushed"},
		Spec: *spec.DeepCopy()}
	foreign.Spec.SecretStoreRefs[0].Name = "not-this-one"
	if err := k8s.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}

	cps := &esv1alpha1.ClusterPushSecret{ObjectMeta: metav1.ObjectMeta{Name: "cps-" + team},
		Spec: esv1alpha1.ClusterPushSecretSpec{
			PushSecretName:     "pushed",
			PushSecretMetadata: &esv1.ExternalSecretMetadata{Labels: map[string]string{"from": "cps"}},
			NamespaceSelectors: []*metav1.LabelSelector{{MatchLabels: map[string]string{"team": team}}},
			RefreshInterval:    esv1.NewDuration(time.Second),
			PushSecretSpec:     spec,
		}}
	if err := k8s.Create(ctx, cps); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(ctx, cps) })

	for _, ns := range []string{a, b} {
		var ps esv1alpha1.PushSecret
		testenv.Eventually(t, 30*time.Second, "PushSecret in "+ns+" Ready", func() (bool, error) {
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "pushed"}, &ps); err != nil {
				return false, err
			}
			return conditions.IsTrue(ps.Status.Conditions, "Ready"), fmt.Errorf("conditions %+v", ps.Status.Conditions)
		})
		if owner := metav1.GetControllerOf(&ps); owner == nil || owner.Kind != esv1alpha1.ClusterPushSecretKind || owner.Name != cps.Name {
			t.Errorf("PushSecret in %s is not owned by the ClusterPushSecret: %+v", ns, owner)
		}
		if ps.Labels["from"] != "cps" {
			t.Errorf("PushSecret in %s lacks the metadata labels: %v", ns, ps.Labels)
		}
		if _, ok := ps.Status.SyncedPushSecrets[esv1.ClusterSecretStoreKind+"/"+store.Name]["remote-token"]; !ok {
			t.Errorf("PushSecret in %s records no push of remote-token: %+v", ns, ps.Status.SyncedPushSecrets)
		}
	}
	waitPushStatus(t, cps, []string{a, b}, []string{taken})
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(foreign), foreign); err != nil {
		t.Fatal(err)
	}
	if metav1.GetControllerOf(foreign) != nil || foreign.Spec.SecretStoreRefs[0].Name != "not-this-one" {
		t.Errorf("the foreign PushSecret was taken over: %+v", foreign)
	}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: other, Name: "pushed"}, &esv1alpha1.PushSecret{}); !apierrors.IsNotFound(err) {
		t.Errorf("a PushSecret was created in unselected namespace %s (err=%v)", other, err)
	}

	// b stops matching: its PushSecret goes.
	var nsB corev1.Namespace
	if err := k8s.Get(ctx, client.ObjectKey{Name: b}, &nsB); err != nil {
		t.Fatal(err)
	}
	nsB.Labels = map[string]string{"team": "elsewhere"}
	if err := k8s.Update(ctx, &nsB); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "PushSecret removed from "+b, func() (bool, error) {
		err := k8s.Get(ctx, client.ObjectKey{Namespace: b, Name: "pushed"}, &esv1alpha1.PushSecret{})
		return apierrors.IsNotFound(err), err
	})
	waitPushStatus(t, cps, []string{a}, []string{taken})
}

func waitPushStatus(t *testing.T, cps *esv1alpha1.ClusterPushSecret, provisioned, failed []string) {
	t.Helper()
	slices.Sort(provisioned)
	testenv.Eventually(t, 30*time.Second, "ClusterPushSecret status", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(cps), cps); err != nil {
			return false, err
		}
		var gotFailed []string
		for _, f := range cps.Status.FailedNamespaces {
			gotFailed = append(gotFailed, f.Namespace)
		}
		ok := slices.Equal(cps.Status.ProvisionedNamespaces, provisioned) && slices.Equal(gotFailed, failed) &&
			cps.Status.PushSecretName == "pushed"
		return ok, fmt.Errorf("name %q provisioned %v failed %v", cps.Status.PushSecretName, cps.Status.ProvisionedNamespaces, cps.Status.FailedNamespaces)
	})
	ready := conditions.Find(cps.Status.Conditions, "Ready")
	if ready == nil || (ready.Status == metav1.ConditionTrue) != (len(failed) == 0) || ready.Message == "" {
		t.Errorf("Ready condition %+v with failed namespaces %v", ready, failed)
	}
}
