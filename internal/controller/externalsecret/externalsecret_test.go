package externalsecret_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

const (
	apiKey  = "s3cr3t-api-key-Zq9"
	apiHost = "https://example.com"
	dbPass  = "pa55-w0rd-Xy7"
)

func TestSyncsExactBytes(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	binary := string([]byte{0, 1, 2, 0xff, 'x'})
	fakeStore(t, ns, "store",
		"app", `{"API_KEY":"`+apiKey+`","API_HOST":"`+apiHost+`","db":{"users":[{"pass":"`+dbPass+`"}]},"port":8080}`,
		"b64", base64.StdEncoding.EncodeToString([]byte(binary)),
		"plain", "not base64 !",
	)
	es := externalSecret(ns, "app", "store", time.Hour)
	es.Spec.Data = []esv1.ExternalSecretData{
		dataRef("DB_PASS", "app", "db.users.0.pass"),
		{SecretKey: "raw", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "b64", DecodingStrategy: esv1.DecodingBase64}},
		{SecretKey: "auto", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "plain", DecodingStrategy: esv1.DecodingAuto}},
	}
	es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "app"}}}
	create(t, es)

	secret := waitSecretData(t, ns, "app", map[string]string{
		"API_KEY": apiKey, "API_HOST": apiHost, "db": `{"users":[{"pass":"` + dbPass + `"}]}`, "port": "8080",
		"DB_PASS": dbPass, "raw": binary, "auto": "not base64 !",
	})
	if secret.Type != corev1.SecretTypeOpaque {
		t.Errorf("Secret type = %q, want Opaque", secret.Type)
	}
	if secret.Labels[esv1.LabelManaged] != "true" {
		t.Errorf("Secret lacks the managed label: %v", secret.Labels)
	}
	if h := secret.Annotations[esv1.AnnotationDataHash]; len(h) != 64 {
		t.Errorf("data-hash annotation = %q, want a 64-char HMAC", h)
	}
	owner := metav1.GetControllerOf(secret)
	if owner == nil || owner.Kind != "ExternalSecret" || owner.Name != "app" {
		t.Errorf("Secret controller owner = %+v, want ExternalSecret app (creationPolicy Owner)", owner)
	}
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	if es.Status.Binding.Name != "app" || es.Status.RefreshTime.IsZero() || es.Status.SyncedResourceVersion == "" {
		t.Errorf("status not filled: %+v", es.Status)
	}
}

func TestProviderChangeReachesSecretWithinInterval(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	store := fakeStore(t, ns, "store", "k", "v1")
	es := externalSecret(ns, "es", "store", 2*time.Second)
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("value", "k", "")}
	create(t, es)
	waitSecretData(t, ns, "es", map[string]string{"value": "v1"})

	update(t, store, func(s *esv1.SecretStore) { s.Spec.Provider.Fake.Data = fakeData("k", "v2") })
	changed := time.Now()
	waitSecretData(t, ns, "es", map[string]string{"value": "v2"})
	// Interval 2s plus at most a tenth of it as jitter, plus the store's revalidation.
	if took := time.Since(changed); took > 6*time.Second {
		t.Errorf("the new value took %s to arrive; refresh interval is 2s", took)
	}
}

func TestRestoresDeletedAndEditedSecret(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", "k", apiKey)
	es := externalSecret(ns, "es", "store", time.Hour)
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("key", "k", "")}
	create(t, es)
	secret := waitSecretData(t, ns, "es", map[string]string{"key": apiKey})

	secret.Data["key"] = []byte("edited by hand")
	secret.Data["extra"] = []byte("added by hand")
	if err := k8s.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	waitSecretData(t, ns, "es", map[string]string{"key": apiKey})

	if err := k8s.Delete(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	waitSecretData(t, ns, "es", map[string]string{"key": apiKey})
}

func TestCreationPolicies(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", "k", apiKey)
	newES := func(name string, policy esv1.ExternalSecretCreationPolicy) *esv1.ExternalSecret {
		es := externalSecret(ns, name, "store", time.Hour)
		es.Spec.Target.CreationPolicy = policy
		es.Spec.Data = []esv1.ExternalSecretData{dataRef("key", "k", "")}
		return es
	}

	t.Run("Orphan", func(t *testing.T) {
		es := newES("orphan", esv1.CreatePolicyOrphan)
		create(t, es)
		secret := waitSecretData(t, ns, "orphan", map[string]string{"key": apiKey})
		if len(secret.OwnerReferences) != 0 {
			t.Errorf("Orphan Secret has owner references %v", secret.OwnerReferences)
		}
	})
	t.Run("Merge into existing", func(t *testing.T) {
		create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "merge"},
			Data: map[string][]byte{"own": []byte("kept")}})
		es := newES("merge", esv1.CreatePolicyMerge)
		create(t, es)
		secret := waitSecretData(t, ns, "merge", map[string]string{"own": "kept", "key": apiKey})
		if len(secret.OwnerReferences) != 0 {
			t.Errorf("merged Secret has owner references %v", secret.OwnerReferences)
		}
	})
	t.Run("Merge without Secret", func(t *testing.T) {
		es := newES("merge-missing", esv1.CreatePolicyMerge)
		create(t, es)
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonSecretMissing)
		if !strings.Contains(msg, "merge-missing does not exist") {
			t.Errorf("message %q does not name the missing Secret", msg)
		}
		assertNoSecret(t, ns, "merge-missing")
	})
	t.Run("None", func(t *testing.T) {
		es := newES("none", esv1.CreatePolicyNone)
		create(t, es)
		waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
		assertNoSecret(t, ns, "none")
	})
	t.Run("Owner conflict", func(t *testing.T) {
		first := newES("first", esv1.CreatePolicyOwner)
		first.Spec.Target.Name = "shared"
		create(t, first)
		waitSecretData(t, ns, "shared", map[string]string{"key": apiKey})
		second := newES("second", esv1.CreatePolicyOwner)
		second.Spec.Target.Name = "shared"
		create(t, second)
		msg := waitReady(t, second, corev1.ConditionFalse, esv1.ReasonSecretOwnedElsewhere)
		if !strings.Contains(msg, "owned by ExternalSecret first") {
			t.Errorf("message %q does not name the owner", msg)
		}
		secret := &corev1.Secret{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "shared"}, secret); err != nil {
			t.Fatal(err)
		}
		if owner := metav1.GetControllerOf(secret); owner == nil || owner.Name != "first" {
			t.Errorf("owner changed to %+v", owner)
		}
	})
}

func assertNoSecret(t *testing.T, ns, name string) {
	t.Helper()
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &corev1.Secret{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("Secret %s exists (err=%v); it should not", name, err)
	}
}

func TestDeletionPolicies(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	store := fakeStore(t, ns, "store", "gone", apiKey, "stays", dbPass)
	newES := func(name string, policy esv1.ExternalSecretDeletionPolicy, remoteKeys ...string) *esv1.ExternalSecret {
		es := externalSecret(ns, name, "store", time.Second)
		es.Spec.Target.DeletionPolicy = policy
		for _, k := range remoteKeys {
			es.Spec.Data = append(es.Spec.Data, dataRef(k, k, ""))
		}
		create(t, es)
		return es
	}
	retain := newES("retain", esv1.DeletionPolicyRetain, "gone")
	del := newES("delete", esv1.DeletionPolicyDelete, "gone")
	merge := newES("merge", esv1.DeletionPolicyMerge, "gone", "stays")
	waitSecretData(t, ns, "retain", map[string]string{"gone": apiKey})
	waitSecretData(t, ns, "delete", map[string]string{"gone": apiKey})
	waitSecretData(t, ns, "merge", map[string]string{"gone": apiKey, "stays": dbPass})

	update(t, store, func(s *esv1.SecretStore) { s.Spec.Provider.Fake.Data = fakeData("stays", dbPass) })

	msg := waitReady(t, retain, corev1.ConditionFalse, esv1.ReasonSecretSyncedError)
	if !strings.Contains(msg, `"gone" not found`) || !strings.Contains(msg, "Retain") {
		t.Errorf("Retain message %q does not explain", msg)
	}
	waitSecretData(t, ns, "retain", map[string]string{"gone": apiKey})

	waitReady(t, del, corev1.ConditionTrue, esv1.ReasonSecretDeleted)
	assertNoSecret(t, ns, "delete")

	waitSecretData(t, ns, "merge", map[string]string{"stays": dbPass})
	waitReady(t, merge, corev1.ConditionTrue, esv1.ReasonSecretSynced)
}

func TestStoreProblems(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)

	missing := externalSecret(ns, "missing", "no-such-store", time.Hour)
	missing.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
	create(t, missing)
	msg := waitReady(t, missing, corev1.ConditionFalse, esv1.ReasonStoreNotFound)
	if !strings.Contains(msg, `SecretStore "no-such-store" not found`) {
		t.Errorf("message %q does not name the store", msg)
	}

	// Invalid: the same key twice in a fake store is refused by the provider's validation.
	bad := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bad"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: fakeData("k", "a", "k", "b")}}}}
	create(t, bad)
	testenv.Eventually(t, 20*time.Second, "store bad InvalidProviderConfig", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(bad), bad); err != nil {
			return false, err
		}
		for _, c := range bad.Status.Conditions {
			return c.Status == metav1.ConditionFalse && c.Reason == esv1.ReasonInvalidProviderConfig, nil
		}
		return false, nil
	})
	invalid := externalSecret(ns, "invalid", "bad", time.Hour)
	invalid.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
	create(t, invalid)
	msg = waitReady(t, invalid, corev1.ConditionFalse, esv1.ReasonStoreNotReady)
	if !strings.Contains(msg, "appears twice") {
		t.Errorf("message %q does not carry the store's problem", msg)
	}

	// Fixing the store makes the ExternalSecret sync without touching it.
	update(t, bad, func(s *esv1.SecretStore) { s.Spec.Provider.Fake.Data = fakeData("k", "fixed") })
	waitSecretData(t, ns, "invalid", map[string]string{"k": "fixed"})
}

func TestClusterSecretStoreConditions(t *testing.T) {
	allowedNS := testenv.Namespace(t, k8s, map[string]string{"team": "a"})
	refusedNS := testenv.Namespace(t, k8s, map[string]string{"team": "b"})
	css := &esv1.ClusterSecretStore{
		ObjectMeta: metav1.ObjectMeta{Name: "css-" + allowedNS},
		Spec: esv1.SecretStoreSpec{
			Provider:   &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: fakeData("k", apiKey)}},
			Conditions: []esv1.ClusterSecretStoreCondition{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}}}},
		},
	}
	create(t, css)
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), css) })
	waitStoreReady(t, css)

	for _, ns := range []string{allowedNS, refusedNS} {
		es := externalSecret(ns, "es", css.Name, time.Hour)
		es.Spec.SecretStoreRef.Kind = esv1.ClusterSecretStoreKind
		es.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
		create(t, es)
		if ns == allowedNS {
			waitSecretData(t, ns, "es", map[string]string{"k": apiKey})
			continue
		}
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonStoreNotAllowed)
		if !strings.Contains(msg, "does not serve namespace "+refusedNS) {
			t.Errorf("message %q does not name the namespace", msg)
		}
		assertNoSecret(t, ns, "es")
	}
}

func TestForceSyncAndNoWritesWhenUnchanged(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	store := fakeStore(t, ns, "store", "k", "v1")
	es := externalSecret(ns, "es", "store", time.Hour)
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
	create(t, es)
	secret := waitSecretData(t, ns, "es", map[string]string{"k": "v1"})
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	secretRV, esRV := secret.ResourceVersion, es.ResourceVersion

	// A new value at the provider is not picked up before the hour is up...
	update(t, store, func(s *esv1.SecretStore) { s.Spec.Provider.Fake.Data = fakeData("k", "v2") })
	waitStoreReady(t, store)
	time.Sleep(2 * time.Second)
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(secret), secret); err != nil {
		t.Fatal(err)
	}
	if secret.ResourceVersion != secretRV {
		t.Fatalf("Secret was written before its refresh was due")
	}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(es), es); err != nil {
		t.Fatal(err)
	}
	if es.ResourceVersion != esRV {
		t.Fatalf("ExternalSecret status was written with nothing to report")
	}
	// ...but changing an annotation forces a sync.
	update(t, es, func(es *esv1.ExternalSecret) {
		es.Annotations = map[string]string{esv1.AnnotationForceSync: time.Now().Format(time.RFC3339Nano)}
	})
	waitSecretData(t, ns, "es", map[string]string{"k": "v2"})
}

func TestNoSecretValueInLogsOrEvents(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	const value = "N0-L3AK-value-7f3a"
	fakeStore(t, ns, "store", "k", value, "json", `{"a":"`+value+`"}`)
	ok := externalSecret(ns, "ok", "store", time.Second)
	ok.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
	create(t, ok)
	// Failures that involve the value: a missing property, invalid base64.
	bad := externalSecret(ns, "bad", "store", time.Second)
	bad.Spec.Data = []esv1.ExternalSecretData{
		dataRef("p", "json", "missing.path"),
	}
	create(t, bad)
	b64 := externalSecret(ns, "b64", "store", time.Second)
	b64.Spec.Data = []esv1.ExternalSecretData{{SecretKey: "x", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "k", DecodingStrategy: esv1.DecodingBase64}}}
	create(t, b64)

	waitSecretData(t, ns, "ok", map[string]string{"k": value})
	waitReady(t, bad, corev1.ConditionFalse, esv1.ReasonSecretSyncedError)
	waitReady(t, b64, corev1.ConditionFalse, esv1.ReasonSecretSyncedError)
	time.Sleep(3 * time.Second) // a few refreshes and retries

	if strings.Contains(logs.String(), value) {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, value) {
				t.Errorf("a secret value reached the logs: %s", line)
			}
		}
	}
	if !strings.Contains(logs.String(), "Syncing") {
		t.Errorf("logs were not captured; the check above proves nothing")
	}
	var events int
	testenv.Eventually(t, 10*time.Second, "events recorded", func() (bool, error) {
		notes := eventNotes(t, ns)
		events = len(notes)
		return events > 0, nil
	})
	for _, n := range eventNotes(t, ns) {
		if strings.Contains(n, value) {
			t.Errorf("a secret value reached an event: %q", n)
		}
	}
	families, err := testenv.Scrape(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range families {
		seen[f.GetName()] = true
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), value) {
					t.Errorf("a secret value reached metric %s label %s", f.GetName(), l.GetName())
				}
			}
		}
	}
	for _, name := range []string{"externalsecret_sync_calls_total", "externalsecret_sync_calls_error",
		"externalsecret_status_condition", "externalsecret_provider_api_calls_count", "ferry_secret_writes_total"} {
		if !seen[name] {
			t.Errorf("metric %s not exported", name)
		}
	}
	for _, es := range []*esv1.ExternalSecret{ok, bad, b64} {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(es), es); err != nil {
			t.Fatal(err)
		}
		for _, c := range es.Status.Conditions {
			if strings.Contains(c.Message, value) {
				t.Errorf("a secret value reached the condition of %s", es.Name)
			}
		}
	}
}

func TestOtherControllerClassIsLeftAlone(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	store := &esv1.SecretStore{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "other"},
		Spec: esv1.SecretStoreSpec{Controller: "other-class",
			Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: fakeData("k", apiKey)}}},
	}
	create(t, store)
	es := externalSecret(ns, "es", "other", time.Second)
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
	create(t, es)
	// A store of ours in the same namespace proves the operator is at work meanwhile.
	fakeStore(t, ns, "ours", "k", apiKey)
	mine := externalSecret(ns, "mine", "ours", time.Second)
	mine.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
	create(t, mine)
	waitSecretData(t, ns, "mine", map[string]string{"k": apiKey})
	time.Sleep(2 * time.Second)

	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(store), store); err != nil {
		t.Fatal(err)
	}
	if len(store.Status.Conditions) != 0 {
		t.Errorf("a store of another controller class got a status: %+v", store.Status)
	}
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(es), es); err != nil {
		t.Fatal(err)
	}
	if len(es.Status.Conditions) != 0 {
		t.Errorf("an ExternalSecret of another controller class got a status: %+v", es.Status)
	}
	assertNoSecret(t, ns, "es")
}
