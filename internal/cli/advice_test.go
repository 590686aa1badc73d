package cli

import (
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

func esWith(status corev1.ConditionStatus, reason, message string) *esv1.ExternalSecret {
	es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "db"},
		Spec: esv1.ExternalSecretSpec{SecretStoreRef: esv1.SecretStoreRef{Name: "vault"}}}
	if reason != "" {
		es.Status.Conditions = []esv1.ExternalSecretStatusCondition{{Type: esv1.ExternalSecretReady, Status: status, Reason: reason, Message: message}}
	}
	return es
}

func storeWith(controller string, status metav1.ConditionStatus, reason, message string) storeFacts {
	s := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: "app", Name: "vault"}, Spec: esv1.SecretStoreSpec{Controller: controller,
		Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{}}}}
	if reason != "" {
		s.Status.Conditions = []esv1.SecretStoreStatusCondition{{Type: esv1.SecretStoreReady, Status: status, Reason: reason, Message: message}}
	}
	return storeFacts{kind: esv1.SecretStoreKind, name: "vault", store: s}
}

func TestAdvise(t *testing.T) {
	tests := []struct {
		name   string
		facts  explainFacts
		want   []string // each must appear in the advice
		absent string
	}{
		{"ready", explainFacts{es: esWith(corev1.ConditionTrue, esv1.ReasonSecretSynced, "")}, []string{"Nothing"}, "kubectl ferry sync"},
		{"never processed", explainFacts{es: esWith("", "", ""), stores: []storeFacts{storeWith("", "", "", "")}},
			[]string{"Ferry has not processed", "serves namespace app"}, ""},
		{"other controller class", explainFacts{es: esWith("", "", ""), stores: []storeFacts{storeWith("team-a", "", "", "")}},
			[]string{"--controller-class=team-a"}, ""},
		{"store missing", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonStoreNotFound, "SecretStore \"vault\" not found"),
			stores: []storeFacts{{kind: esv1.SecretStoreKind, name: "vault", err: errors.New("not found")}}},
			[]string{`SecretStore "vault"`, "kubectl get secretstores -n app", "kubectl ferry sync db -n app"}, ""},
		{"store misconfigured", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonStoreNotReady, "not ready"),
			stores: []storeFacts{storeWith("", metav1.ConditionFalse, esv1.ReasonInvalidProviderConfig, "spec.provider.fake.data[0].key: required")}},
			[]string{"Fix spec.provider of SecretStore vault: spec.provider.fake.data[0].key: required"}, ""},
		{"store unreachable", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonStoreNotReady, "not ready"),
			stores: []storeFacts{storeWith("", metav1.ConditionFalse, esv1.ReasonValidationFailed, "could not validate: AccessDenied")}},
			[]string{"could not validate: AccessDenied", "docs/providers/fake.md", "retries every minute"}, ""},
		{"provider not implemented", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonProviderNotImplemented, "doppler"),
			stores: []storeFacts{storeWith("", metav1.ConditionFalse, esv1.ReasonProviderNotImplemented, "not implemented")}},
			[]string{"does not implement the provider of SecretStore vault", "spec.controller", "docs/migrating-from-eso-and-reloader.md"}, "retries every minute"},
		{"namespace not allowed", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonStoreNotAllowed, "")},
			[]string{"do not select namespace app"}, ""},
		{"single-namespace Ferry", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonStoreNotAllowed,
			`ClusterSecretStore "shared": this Ferry serves only namespace app (--namespaces) and no ClusterSecretStores: use a SecretStore in the namespace`)},
			[]string{"use a SecretStore in the namespace"}, "spec.conditions"},
		{"remote key missing", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonSecretSyncedError, `spec.data[0]: remote secret not found: "db/password"`)},
			[]string{"remote key does not exist", "deletionPolicy"}, ""},
		{"remote key missing, as the controller words it", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonSecretSyncedError,
			`remote secret "no-such-key" not found; the Secret is kept as it is (deletionPolicy Retain)`)},
			[]string{"remote key does not exist"}, ""},
		{"provider refused", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonSecretSyncedError, "GetSecretValue: AccessDeniedException: not allowed"),
			stores: []storeFacts{storeWith("", metav1.ConditionTrue, esv1.ReasonStoreValid, "")}},
			[]string{"refused the read", "SecretStore vault"}, ""},
		{"owned elsewhere", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonSecretOwnedElsewhere, "")}, []string{"spec.target.name"}, ""},
		{"merge into nothing", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonSecretMissing, "")}, []string{"creationPolicy Owner"}, ""},
		{"invalid spec", explainFacts{es: esWith(corev1.ConditionFalse, esv1.ReasonInvalidSpec, "x")}, []string{"Fix the ExternalSecret's spec"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(advise(tt.facts), "\n")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("advice lacks %q:\n%s", w, got)
				}
			}
			if tt.absent != "" && strings.Contains(got, tt.absent) {
				t.Errorf("advice contains %q:\n%s", tt.absent, got)
			}
		})
	}
}

func TestNextRefresh(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	synced := func(ago time.Duration, interval *esv1.Duration, policy esv1.ExternalSecretRefreshPolicy, status corev1.ConditionStatus) *esv1.ExternalSecret {
		es := esWith(status, "r", "")
		es.Spec.RefreshInterval, es.Spec.RefreshPolicy = interval, policy
		if ago >= 0 {
			es.Status.RefreshTime = metav1.NewTime(now.Add(-ago))
		}
		return es
	}
	tests := []struct {
		name string
		es   *esv1.ExternalSecret
		want string
	}{
		{"created once", synced(time.Minute, nil, esv1.RefreshPolicyCreatedOnce, corev1.ConditionTrue), "never (CreatedOnce)"},
		{"on change", synced(time.Minute, nil, esv1.RefreshPolicyOnChange, corev1.ConditionTrue), "on change"},
		{"zero interval", synced(time.Minute, esv1.NewDuration(0), "", corev1.ConditionTrue), "on change"},
		{"failing", synced(time.Minute, nil, "", corev1.ConditionFalse), "retrying"},
		{"never synced", synced(-1, nil, "", corev1.ConditionTrue), "pending"},
	}
	for _, tt := range tests {
		if got := nextRefresh(tt.es, now); got != tt.want {
			t.Errorf("%s: nextRefresh = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestNextCheck checks the properties of the refresh grid Ferry follows: the next check is
// less than an interval away whenever the last sync was, objects of one store come due within
// the jitter spread of each other, and stores are spread over the interval.
func TestNextCheck(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	obj := func(uid, store string, synced time.Duration) *esv1.ExternalSecret {
		es := esWith(corev1.ConditionTrue, esv1.ReasonSecretSynced, "")
		es.UID, es.Spec.SecretStoreRef.Name = types.UID(uid), store
		es.Status.RefreshTime = metav1.NewTime(now.Add(-synced))
		return es
	}
	const interval = time.Hour
	a := nextCheck(obj("uid-a", "vault", time.Minute), interval, now)
	if d := a.Sub(now); d <= 0 || d > interval {
		t.Errorf("next check in %s, want within (0, %s]", d, interval)
	}
	if b := nextCheck(obj("uid-a", "vault", 5*time.Hour), interval, now); !b.Equal(a) {
		t.Errorf("next check depends on the last sync: %s vs %s (the grid is fixed)", b, a)
	}
	spread := interval / 10
	for _, uid := range []string{"uid-b", "uid-c", "uid-d"} {
		other := nextCheck(obj(uid, "vault", time.Minute), interval, now)
		if d := other.Sub(a); d > spread || d < -spread {
			t.Errorf("objects of one store come due %s apart, want within %s", d, spread)
		}
	}
	distinct := map[time.Time]bool{}
	for _, store := range []string{"s1", "s2", "s3", "s4", "s5"} {
		distinct[nextCheck(obj("uid-a", store, time.Minute), interval, now)] = true
	}
	if len(distinct) < 4 {
		t.Errorf("five stores share %d refresh instants; stores should be spread over the interval", len(distinct))
	}
	if got := nextRefresh(obj("uid-a", "vault", time.Minute), now); !strings.HasPrefix(got, "in ~") {
		t.Errorf("nextRefresh = %q", got)
	}
	long := obj("uid-a", "vault", time.Hour)
	if got := nextCheck(long, 2*365*24*time.Hour, now); !got.After(now.Add(365 * 24 * time.Hour)) {
		t.Errorf("an interval above a year follows the last sync: %s", got)
	}
}

func TestSyncOutcome(t *testing.T) {
	requested := metav1.NewTime(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	before := esWith(corev1.ConditionTrue, esv1.ReasonSecretSynced, "")
	before.Status.SyncedResourceVersion = "1-a"
	at := func(es *esv1.ExternalSecret, version string, transition time.Time) *esv1.ExternalSecret {
		es.Status.SyncedResourceVersion = version
		es.Status.Conditions[0].LastTransitionTime = metav1.NewTime(transition)
		return es
	}
	tests := []struct {
		name     string
		now      *esv1.ExternalSecret
		done     bool
		failWith string
	}{
		{"not yet", at(esWith(corev1.ConditionTrue, esv1.ReasonSecretSynced, ""), "1-a", requested.Add(-time.Hour)), false, ""},
		{"synced", at(esWith(corev1.ConditionTrue, esv1.ReasonSecretSynced, ""), "1-b", requested.Add(-time.Hour)), true, ""},
		{"failed after the request", at(esWith(corev1.ConditionFalse, esv1.ReasonStoreNotFound, "gone"), "1-a", requested.Time), true, "StoreNotFound: gone"},
		{"failing since before", at(esWith(corev1.ConditionFalse, esv1.ReasonStoreNotFound, "gone"), "1-a", requested.Add(-time.Minute)), false, ""},
	}
	for _, tt := range tests {
		done, err := syncOutcome(before, tt.now, requested)
		if done != tt.done || (tt.failWith == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.failWith)) {
			t.Errorf("%s: syncOutcome = %v, %v; want %v, %q", tt.name, done, err, tt.done, tt.failWith)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	var out strings.Builder
	err := Main([]string{"explain"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "explain needs the name") {
		t.Errorf("explain without a name: %v", err)
	}
	if err := Main([]string{"status", "extra"}, &out, &out); err == nil {
		t.Error("status with a name: no error")
	}
	if err := Main([]string{"frobnicate"}, &out, &out); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: %v", err)
	}
	out.Reset()
	if err := Main(nil, &out, &out); err != nil || !strings.Contains(out.String(), "kubectl ferry status") {
		t.Errorf("no arguments: %v, %q", err, out.String())
	}
}
