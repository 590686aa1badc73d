package pushsecret_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

func TestPushToSecretsManager(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	source := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"password": []byte("p4ss-v1"), "user": []byte("admin")}}
	create(t, source)

	whole, prop, single := ns+"/whole", ns+"/config", ns+"/password"
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyDelete,
		entry("password", single, ""),
		entry("user", prop, "username"),
		entry("password", prop, "password"),
		entry("", whole, ""),
	)
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)

	if v, _ := remoteValue(t, sm, single); v != "p4ss-v1" {
		t.Errorf("pushed value = %q, want p4ss-v1", v)
	}
	if v, _ := remoteValue(t, sm, prop); v != `{"password":"p4ss-v1","username":"admin"}` {
		t.Errorf("pushed properties = %s", v)
	}
	if v, _ := remoteValue(t, sm, whole); v != `{"password":"p4ss-v1","user":"admin"}` {
		t.Errorf("pushed whole Secret = %s", v)
	}
	desc, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(single)})
	if err != nil {
		t.Fatal(err)
	}
	if len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Key) != "managed-by" || aws.ToString(desc.Tags[0].Value) != "external-secrets" {
		t.Errorf("created secret tags = %v, want managed-by=external-secrets", desc.Tags)
	}
	if len(ps.Status.SyncedPushSecrets["SecretStore/aws"]) != 4 {
		t.Errorf("status.syncedPushSecrets = %v", ps.Status.SyncedPushSecrets)
	}

	// A new value in the Secret is pushed on the next refresh (forced here).
	source.Data["password"] = []byte("p4ss-v2")
	if err := k8s.Update(ctx, source); err != nil {
		t.Fatal(err)
	}
	forceSync(t, ps)
	testenv.Eventually(t, 20*time.Second, "new value pushed", func() (bool, error) {
		v, _ := remoteValue(t, sm, single)
		return v == "p4ss-v2", nil
	})

	// An entry removed from the spec is deleted remotely (deletionPolicy Delete)...
	update(t, ps, func(ps *esv1alpha1.PushSecret) { ps.Spec.Data = ps.Spec.Data[1:] })
	testenv.Eventually(t, 20*time.Second, "removed entry deleted", func() (bool, error) {
		_, ok := remoteValue(t, sm, single)
		return !ok, nil
	})
	// ...and deleting the PushSecret deletes everything it pushed.
	if err := k8s.Delete(ctx, ps); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "pushed secrets deleted with the PushSecret", func() (bool, error) {
		_, okProp := remoteValue(t, sm, prop)
		_, okWhole := remoteValue(t, sm, whole)
		return !okProp && !okWhole, nil
	})
}

func TestPushPolicies(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("from-cluster")}})

	// A secret someone else created (no managed-by tag) is never overwritten.
	foreign := ns + "/foreign"
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(foreign), SecretString: aws.String("theirs")}); err != nil {
		t.Fatal(err)
	}
	replace := pushSecret(ns, "replace", "aws", esv1alpha1.PushSecretDeletionPolicyNone, entry("token", foreign, ""))
	create(t, replace)
	msg := waitPushReady(t, replace, metav1.ConditionFalse)
	if !strings.Contains(msg, "not created by Ferry or External Secrets Operator") {
		t.Errorf("refusal message %q does not explain", msg)
	}
	if v, _ := remoteValue(t, sm, foreign); v != "theirs" {
		t.Errorf("the foreign secret was overwritten: %q", v)
	}

	// IfNotExists leaves an existing value alone and creates a missing one.
	missing := ns + "/missing"
	ifNot := pushSecret(ns, "ifnot", "aws", esv1alpha1.PushSecretDeletionPolicyNone, entry("token", foreign, ""), entry("token", missing, ""))
	ifNot.Spec.UpdatePolicy = esv1alpha1.PushSecretUpdatePolicyIfNotExists
	create(t, ifNot)
	waitPushReady(t, ifNot, metav1.ConditionTrue)
	if v, _ := remoteValue(t, sm, foreign); v != "theirs" {
		t.Errorf("IfNotExists overwrote an existing secret: %q", v)
	}
	if v, _ := remoteValue(t, sm, missing); v != "from-cluster" {
		t.Errorf("IfNotExists did not create the missing secret: %q", v)
	}
	if _, ok := ifNot.Status.SyncedPushSecrets["SecretStore/aws"][foreign]; ok {
		t.Errorf("a secret left alone is recorded as pushed")
	}
}

func TestPushToFakeStoreReadsBack(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fake"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: []esv1.FakeProviderData{}}}}}
	create(t, store)
	waitStoreReady(t, store)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"k": []byte("round-trip")}})
	ps := pushSecret(ns, "push", "fake", esv1alpha1.PushSecretDeletionPolicyNone, entry("k", "pushed", ""))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)

	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "back"},
		Spec: esv1.ExternalSecretSpec{SecretStoreRef: esv1.SecretStoreRef{Name: "fake"},
			Data: []esv1.ExternalSecretData{{SecretKey: "v", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "pushed"}}}}}
	create(t, es)
	testenv.Eventually(t, 20*time.Second, "pushed value read back", func() (bool, error) {
		var s corev1.Secret
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "back"}, &s); err != nil {
			return false, err
		}
		return string(s.Data["v"]) == "round-trip", nil
	})
}

func forceSync(t *testing.T, ps *esv1alpha1.PushSecret) {
	t.Helper()
	update(t, ps, func(ps *esv1alpha1.PushSecret) {
		ps.Annotations = map[string]string{"force-sync": time.Now().Format(time.RFC3339Nano)}
	})
}

// update applies mutate to a fresh copy of obj, retrying on conflicts.
func update[T client.Object](t *testing.T, obj T, mutate func(T)) {
	t.Helper()
	for range 10 {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatal(err)
		}
		mutate(obj)
		if err := k8s.Update(context.Background(), obj); err == nil {
			return
		}
	}
	t.Fatalf("could not update %T %s", obj, obj.GetName())
}

// TestPushWaitsForItsStore: a PushSecret applied before its store (or with it, the store
// not validated yet) pushes as soon as the store is Ready, not at its hourly refresh.
func TestPushWaitsForItsStore(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"password": []byte("early-bird")}})
	ps := pushSecret(ns, "push", "aws", esv1alpha1.PushSecretDeletionPolicyDelete, entry("password", ns+"/early", ""))
	create(t, ps)
	if msg := waitPushReady(t, ps, metav1.ConditionFalse); !strings.Contains(msg, `"aws"`) {
		t.Errorf("before its store exists the PushSecret says %q, want the store named", msg)
	}
	awsStore(t, ns)
	waitPushReady(t, ps, metav1.ConditionTrue)
	if v, _ := remoteValue(t, sm, ns+"/early"); v != "early-bird" {
		t.Errorf("pushed value = %q, want early-bird", v)
	}
}
