package onboardbase

import (
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/operator/operatortest"
	"github.com/ferryhq/ferry/internal/provider/onboardbase/onboardbasefake"
	"github.com/ferryhq/ferry/internal/testenv"
)

func externalSecret(ns, name, store string, spec esv1.ExternalSecretSpec) *esv1.ExternalSecret {
	spec.SecretStoreRef = esv1.SecretStoreRef{Name: store, Kind: esv1.SecretStoreKind}
	spec.RefreshInterval = esv1.NewDuration(time.Hour)
	return &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
}

// TestThroughTheOperator runs Onboardbase SecretStores and ExternalSecrets through a Ferry
// operator on a real kube-apiserver, against the in-process Onboardbase API: the store
// becomes Ready and ExternalSecrets write the decrypted bytes they read by name and
// property, by extract and by find; a store whose passcode does not decrypt reports
// ValidationFailed naming passcodeRef and its ExternalSecret writes nothing; when the API
// answers 500, an ExternalSecret reports the error and writes nothing, and one that names a
// secret the environment lacks writes nothing either, not even the keys it could read; a
// PushSecret is refused.
func TestThroughTheOperator(t *testing.T) {
	f := startWithKey(t)
	f.Set(testProject, testEnvironment, "DATABASE_URL", "postgres://admin:pw@db:5432/app")
	f.Set(testProject, testEnvironment, "DB", `{"user":"admin","port":5432}`)
	f.Set(testProject, testEnvironment, "DB_HOST", "db.internal")
	ns := testenv.Namespace(t, k8s, nil)
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "onboardbase-api-key"},
		Data: map[string][]byte{"API_KEY": []byte(testAPIKey)}})
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "onboardbase-passcode"},
		Data: map[string][]byte{"PASSCODE": []byte(testPasscode), "WRONG": []byte("not-the-passcode")}})
	store := onboardbaseStore(f.APIHost())
	store.Namespace = ns
	operatortest.Create(t, k8s, store)
	operatortest.WaitReady(t, k8s, store, metav1.ConditionTrue)

	operatortest.Create(t, k8s, externalSecret(ns, "by-name", store.Name, esv1.ExternalSecretSpec{Data: []esv1.ExternalSecretData{
		{SecretKey: "url", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "DATABASE_URL"}},
		{SecretKey: "user", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "DB", Property: "user"}},
	}}))
	operatortest.Create(t, k8s, externalSecret(ns, "extract", store.Name, esv1.ExternalSecretSpec{
		DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "DB"}}}}))
	operatortest.Create(t, k8s, externalSecret(ns, "find", store.Name, esv1.ExternalSecretSpec{
		DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{Find: &esv1.ExternalSecretFind{Name: &esv1.FindName{RegExp: "^DB_"}}}}}))
	operatortest.WaitSecretData(t, k8s, ns, "by-name", map[string]string{"url": "postgres://admin:pw@db:5432/app", "user": "admin"})
	operatortest.WaitSecretData(t, k8s, ns, "extract", map[string]string{"user": "admin", "port": "5432"})
	operatortest.WaitSecretData(t, k8s, ns, "find", map[string]string{"DB_HOST": "db.internal"})

	partial := externalSecret(ns, "partial", store.Name, esv1.ExternalSecretSpec{Data: []esv1.ExternalSecretData{
		{SecretKey: "url", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "DATABASE_URL"}},
		{SecretKey: "missing", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "NOT_IN_THE_ENVIRONMENT"}},
	}})
	if c := operatortest.WaitNotSynced(t, k8s, partial); !strings.Contains(c.Message, "NOT_IN_THE_ENVIRONMENT") {
		t.Errorf("the ExternalSecret naming a missing secret says %s %q, want the name", c.Reason, c.Message)
	}

	wrong := onboardbaseStore(f.APIHost())
	wrong.Name, wrong.Namespace = "onboardbase-wrong-passcode", ns
	wrong.Spec.Provider.Onboardbase.Auth.PasscodeRef.Key = "WRONG"
	operatortest.Create(t, k8s, wrong)
	c := operatortest.WaitReady(t, k8s, wrong, metav1.ConditionFalse)
	if c.Reason != esv1.ReasonValidationFailed || !strings.Contains(c.Message, "auth.passcodeRef") || strings.Contains(c.Message, "not-the-passcode") {
		t.Errorf("the store with a wrong passcode is %s: %q", c.Reason, c.Message)
	}
	operatortest.WaitNotSynced(t, k8s, externalSecret(ns, "on-wrong-passcode", wrong.Name, esv1.ExternalSecretSpec{
		Data: []esv1.ExternalSecretData{{SecretKey: "url", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "DATABASE_URL"}}}}))

	// Onboardbase is read-only, in Ferry as in ESO: a PushSecret is refused, not reported done.
	push := operatortest.PushSecret(ns, "push", store.Name, "onboardbase-api-key", "API_KEY", "PUSHED")
	operatortest.Create(t, k8s, push)
	if c := operatortest.WaitReady(t, k8s, push, metav1.ConditionFalse); !strings.Contains(c.Message, "onboardbase provider cannot write") {
		t.Errorf("the PushSecret says %q, want the provider's refusal", c.Message)
	}

	// A second store on the same environment, Ready before the API fails, so that its
	// ExternalSecret's read is the first through it and meets the failure.
	failing := onboardbaseStore(f.APIHost())
	failing.Name, failing.Namespace = "onboardbase-failing", ns
	operatortest.Create(t, k8s, failing)
	operatortest.WaitReady(t, k8s, failing, metav1.ConditionTrue)
	f.SetFault(func(w http.ResponseWriter, _ *http.Request) {
		onboardbasefake.NestError(w, http.StatusInternalServerError, "Internal server error")
	})
	c = operatortest.WaitNotSynced(t, k8s, externalSecret(ns, "on-failing-api", failing.Name, esv1.ExternalSecretSpec{
		Data: []esv1.ExternalSecretData{{SecretKey: "url", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "DATABASE_URL"}}}}))
	if c.Reason != esv1.ReasonSecretSyncedError || !strings.Contains(c.Message, "HTTP 500") {
		t.Errorf("the ExternalSecret on a failing API says %s %q, want SecretSyncedError with HTTP 500", c.Reason, c.Message)
	}
}

// TestRetryAfterIsHonoured: when Onboardbase answers 429 with Retry-After, the
// ExternalSecret reports the refusal and is not tried again before the delay; with the
// controller's backoff (its first retries come within milliseconds) the server would see
// about ten requests in the seconds this test watches.
func TestRetryAfterIsHonoured(t *testing.T) {
	f := startWithKey(t)
	f.Set(testProject, testEnvironment, "DATABASE_URL", "postgres://db")
	ns := testenv.Namespace(t, k8s, nil)
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "onboardbase-api-key"},
		Data: map[string][]byte{"API_KEY": []byte(testAPIKey)}})
	operatortest.Create(t, k8s, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "onboardbase-passcode"},
		Data: map[string][]byte{"PASSCODE": []byte(testPasscode)}})
	store := onboardbaseStore(f.APIHost())
	store.Namespace = ns
	operatortest.Create(t, k8s, store)
	operatortest.WaitReady(t, k8s, store, metav1.ConditionTrue)

	f.SetFault(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "3600")
		onboardbasefake.NestError(w, http.StatusTooManyRequests, "ThrottlerException: Too Many Requests")
	})
	before := f.ReadCount()
	c := operatortest.WaitNotSynced(t, k8s, externalSecret(ns, "throttled", store.Name, esv1.ExternalSecretSpec{
		Data: []esv1.ExternalSecretData{{SecretKey: "url", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "DATABASE_URL"}}}}))
	if !strings.Contains(c.Message, "429") || !strings.Contains(c.Message, "retry after 1h0m0s") {
		t.Errorf("the throttled ExternalSecret says %s %q, want the 429 and its Retry-After", c.Reason, c.Message)
	}
	time.Sleep(3 * time.Second) // a retry would come within this
	if n := f.ReadCount() - before; n != 1 {
		t.Errorf("%d reads of the environment after a 429 with Retry-After: 3600, want 1", n)
	}
}
