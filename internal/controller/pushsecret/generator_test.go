package pushsecret_test

import (
	"context"
	"encoding/json"
	"fmt"
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
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/genstate"
	"github.com/ferryhq/ferry/internal/testenv"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

// generatorPush is a PushSecret of the values the generator kind/name produces.
func generatorPush(ns, name, kind, generator string, data ...esv1alpha1.PushSecretData) *esv1alpha1.PushSecret {
	ps := pushSecret(ns, name, "aws", esv1alpha1.PushSecretDeletionPolicyDelete, data...)
	ps.Spec.Selector = esv1alpha1.PushSecretSelector{GeneratorRef: &esv1.GeneratorRef{
		APIVersion: genv1alpha1.SchemeGroupVersion.String(), Kind: kind, Name: generator}}
	return ps
}

// waitRemoteChange waits until the remote secret holds a value other than old.
func waitRemoteChange(t *testing.T, sm *secretsmanager.Client, name, old string) string {
	t.Helper()
	var value string
	testenv.Eventually(t, 20*time.Second, "a new value at "+name, func() (bool, error) {
		v, ok := remoteValue(t, sm, name)
		value = v
		return ok && v != old, nil
	})
	return value
}

// assertNotLeaked fails when value appears in the PushSecret's status or events.
func assertNotLeaked(t *testing.T, ps *esv1alpha1.PushSecret, value string) {
	t.Helper()
	status, err := json.Marshal(ps.Status)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(status), value) {
		t.Errorf("the generated value is in the status: %s", status)
	}
	var events corev1.EventList
	if err := k8s.List(context.Background(), &events, client.InNamespace(ps.Namespace)); err != nil {
		t.Fatal(err)
	}
	for _, e := range events.Items {
		if strings.Contains(e.Message, value) {
			t.Errorf("the generated value is in an event: %s", e.Message)
		}
	}
}

// TestPushGeneratedPassword pushes a Password generator's value to Secrets Manager: it is
// pushed once and kept, a new one is generated and pushed when the PushSecret is synced
// again (here: an annotation, as at the refresh interval), and deleting the PushSecret
// deletes it.
func TestPushGeneratedPassword(t *testing.T) {
	ctx := context.Background()
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	create(t, &genv1alpha1.Password{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pw"},
		Spec: genv1alpha1.PasswordSpec{Length: 32, Digits: new(6), Symbols: new(0), NoUpper: true}})
	remote := ns + "/db-password"
	ps := generatorPush(ns, "push", genv1alpha1.PasswordKind, "pw", entry("password", remote, ""))
	create(t, ps)
	msg := waitPushReady(t, ps, metav1.ConditionTrue)
	if c := ps.Status.Conditions[0]; c.Reason != "Synced" {
		t.Errorf("Ready reason %q (%s), want Synced", c.Reason, msg)
	}
	first, ok := remoteValue(t, sm, remote)
	if !ok || len(first) != 32 || strings.ToLower(first) != first {
		t.Fatalf("pushed value of %d characters (upper case: %v), want 32 lower case", len(first), strings.ToLower(first) != first)
	}
	digits := 0
	for _, r := range first {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits != 6 {
		t.Errorf("pushed password has %d digits, want the generator's 6", digits)
	}
	if _, ok := ps.Status.SyncedPushSecrets["SecretStore/aws"][remote]; !ok {
		t.Errorf("status.syncedPushSecrets = %v", ps.Status.SyncedPushSecrets)
	}
	assertNotLeaked(t, ps, first)

	forceSync(t, ps)
	second := waitRemoteChange(t, sm, remote, first)
	if len(second) != 32 {
		t.Errorf("second value has %d characters", len(second))
	}
	waitPushReady(t, ps, metav1.ConditionTrue)
	assertNotLeaked(t, ps, second)

	if err := k8s.Delete(ctx, ps); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "pushed value deleted with the PushSecret", func() (bool, error) {
		_, ok := remoteValue(t, sm, remote)
		return !ok, nil
	})
}

// TestPushGeneratorNotFound reports a generator that does not exist on the condition,
// naming the field, and pushes nothing.
func TestPushGeneratorNotFound(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	remote := ns + "/nothing"
	ps := generatorPush(ns, "push", genv1alpha1.PasswordKind, "absent", entry("password", remote, ""))
	create(t, ps)
	msg := waitPushReady(t, ps, metav1.ConditionFalse)
	if !strings.Contains(msg, "spec.selector.generatorRef") || !strings.Contains(msg, `"absent" not found`) {
		t.Errorf("condition message %q does not name the field and the generator", msg)
	}
	if _, ok := remoteValue(t, sm, remote); ok {
		t.Errorf("something was pushed")
	}
}

// pushStates lists the GeneratorStates of a namespace.
func pushStates(t *testing.T, ns string) []genv1alpha1.GeneratorState {
	t.Helper()
	var list genv1alpha1.GeneratorStateList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// waitLiveTokens waits until the Grafana server holds exactly want tokens, and returns
// their values.
func waitLiveTokens(t *testing.T, server *tokenapi.Grafana, what string, want int) map[string]bool {
	t.Helper()
	live := map[string]bool{}
	testenv.Eventually(t, 20*time.Second, what, func() (bool, error) {
		live = map[string]bool{}
		for _, tok := range server.Tokens() {
			live[tok.Key] = true
		}
		return len(live) == want, fmt.Errorf("%d live tokens, want %d", len(live), want)
	})
	return live
}

// TestPushGeneratedGrafanaToken pushes a stateful generator's value: the token created at
// Grafana is recorded in a GeneratorState owned by the PushSecret, a replaced token is
// deleted at Grafana after the grace period, a push that fails deletes the token it
// generated at once, and deleting the PushSecret deletes the last token.
func TestPushGeneratedGrafanaToken(t *testing.T) {
	ctx := context.Background()
	server := tokenapi.NewGrafana("admin-token", "", "")
	defer server.Close()
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "grafana-admin"},
		Data: map[string][]byte{"token": []byte("admin-token")}})
	create(t, &genv1alpha1.Grafana{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dash"},
		Spec: genv1alpha1.GrafanaSpec{URL: server.URL,
			Auth:           genv1alpha1.GrafanaAuth{Token: &genv1alpha1.LocalSecretKeySelector{Name: "grafana-admin", Key: "token"}},
			ServiceAccount: genv1alpha1.GrafanaServiceAccount{Name: "ci", Role: "Viewer"}}})
	remote := ns + "/grafana-token"
	ps := generatorPush(ns, "push", genv1alpha1.GrafanaKind, "dash", entry("token", remote, ""))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)
	first, _ := remoteValue(t, sm, remote)
	if live := waitLiveTokens(t, server, "the pushed token live", 1); !live[first] {
		t.Fatalf("the pushed value is not the live token")
	}
	testenv.Eventually(t, 20*time.Second, "one GeneratorState owned by the PushSecret", func() (bool, error) {
		list := pushStates(t, ns)
		return len(list) == 1 && list[0].Spec.GarbageCollectionDeadline == nil &&
			list[0].Labels[genv1alpha1.GeneratorStateLabelOwnerKey] == genstate.OwnerKey(esv1alpha1.PushSecretKind, "push", "selector") &&
			len(list[0].OwnerReferences) == 1 && list[0].OwnerReferences[0].UID == ps.UID, fmt.Errorf("%d states", len(list))
	})

	forceSync(t, ps)
	second := waitRemoteChange(t, sm, remote, first)
	if live := waitLiveTokens(t, server, "only the second token live after the grace period", 1); !live[second] {
		t.Fatalf("the live token is not the one pushed")
	}

	// A push that fails (the remote key now belongs to someone else) deletes the token it
	// generated: nothing is left at Grafana but the token that was pushed before.
	if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(remote), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(remote), SecretString: aws.String("theirs")}); err != nil {
		t.Fatal(err)
	}
	forceSync(t, ps)
	waitPushReady(t, ps, metav1.ConditionFalse)
	time.Sleep(time.Second)
	if live := waitLiveTokens(t, server, "no token left behind by the failed pushes", 1); !live[second] {
		t.Errorf("the token pushed before was deleted")
	}
	if v, _ := remoteValue(t, sm, remote); v != "theirs" {
		t.Errorf("someone else's secret was overwritten")
	}

	// Deleting the PushSecret (which no longer deletes remotely: the remote secret is not
	// Ferry's) deletes the last token it pushed.
	update(t, ps, func(ps *esv1alpha1.PushSecret) { ps.Spec.DeletionPolicy = esv1alpha1.PushSecretDeletionPolicyNone })
	testenv.Eventually(t, 20*time.Second, "the finalizer removed", func() (bool, error) {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(ps), ps)
		return err == nil && len(ps.Finalizers) == 0, err
	})
	if err := k8s.Delete(ctx, ps); err != nil {
		t.Fatal(err)
	}
	waitLiveTokens(t, server, "no token left once the PushSecret is gone", 0)
	testenv.Eventually(t, 20*time.Second, "no GeneratorState left", func() (bool, error) {
		return len(pushStates(t, ns)) == 0, nil
	})
}

// TestSwitchFromGeneratorCleansUpItsState: a PushSecret that pushed a Grafana token and
// then pushes a Secret instead flags the token's GeneratorState for collection, and the
// token is deleted at Grafana after the grace period.
func TestSwitchFromGeneratorCleansUpItsState(t *testing.T) {
	server := tokenapi.NewGrafana("admin-token", "", "")
	defer server.Close()
	ns := testenv.Namespace(t, k8s, nil)
	awsStore(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "grafana-admin"},
		Data: map[string][]byte{"token": []byte("admin-token")}})
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"token": []byte("from-a-secret")}})
	create(t, &genv1alpha1.Grafana{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dash"},
		Spec: genv1alpha1.GrafanaSpec{URL: server.URL,
			Auth:           genv1alpha1.GrafanaAuth{Token: &genv1alpha1.LocalSecretKeySelector{Name: "grafana-admin", Key: "token"}},
			ServiceAccount: genv1alpha1.GrafanaServiceAccount{Name: "ci", Role: "Viewer"}}})
	ps := generatorPush(ns, "push", genv1alpha1.GrafanaKind, "dash", entry("token", ns+"/token", ""))
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)
	waitLiveTokens(t, server, "the pushed token live", 1)
	testenv.Eventually(t, 20*time.Second, "one GeneratorState", func() (bool, error) {
		return len(pushStates(t, ns)) == 1, nil
	})

	update(t, ps, func(ps *esv1alpha1.PushSecret) {
		ps.Spec.Selector = esv1alpha1.PushSecretSelector{Secret: &esv1alpha1.PushSecretSecret{Name: "source"}}
	})
	sm := secretsManager(t)
	testenv.Eventually(t, 20*time.Second, "the Secret's value pushed", func() (bool, error) {
		v, _ := remoteValue(t, sm, ns+"/token")
		return v == "from-a-secret", nil
	})
	waitLiveTokens(t, server, "the generator's token deleted once no longer pushed", 0)
	testenv.Eventually(t, 20*time.Second, "no GeneratorState left", func() (bool, error) {
		return len(pushStates(t, ns)) == 0, nil
	})
}
