package externalsecret_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

// The registry generators exchange a ServiceAccount token that this package's real API
// server issues; the in-process vendor servers verify it with the API server's OIDC keys.

// kubeIssuer returns the OIDC issuer of the package's control plane.
func kubeIssuer(t *testing.T) *tokenapi.KubeIssuer {
	t.Helper()
	issuer, err := tokenapi.NewKubeIssuer(controlPlane.Config)
	if err != nil {
		t.Fatalf("reading the API server's OIDC issuer: %v", err)
	}
	return issuer
}

// serviceAccount creates a ServiceAccount in ns.
func serviceAccount(t *testing.T, ns, name string) {
	t.Helper()
	create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
}

// secretData waits until the Secret exists and returns its data.
func secretData(t *testing.T, ns, name string) map[string][]byte {
	t.Helper()
	secret := &corev1.Secret{}
	testenv.Eventually(t, 20*time.Second, "Secret "+name, func() (bool, error) {
		err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, secret)
		return err == nil, err
	})
	return secret.Data
}

// TestQuayAccessToken exchanges a ServiceAccount token for a Quay robot token and writes
// the registry, the Docker auth of the robot and the expiry; Quay's refusals and failures
// reach the condition with their status, nothing else of the answer.
func TestQuayAccessToken(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	issuer := kubeIssuer(t)
	serviceAccount(t, ns, "puller")
	serviceAccount(t, ns, "stranger")
	quay := tokenapi.NewQuay(issuer, map[string][]tokenapi.QuayFederation{
		"org+ferry": {{Issuer: issuer.Issuer, Subject: tokenapi.ServiceAccountSubject(ns, "puller")}},
	})
	defer quay.Close()
	quayGenerator := func(name, robot, sa string) {
		create(t, &genv1alpha1.QuayAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: genv1alpha1.QuayAccessTokenSpec{URL: "https://" + quay.Host, RobotAccount: robot,
				ServiceAccountRef: esv1.ServiceAccountSelector{Name: sa, Audiences: []string{"quay.example"}}}})
	}

	quayGenerator("pull", "org+ferry", "puller")
	es := generatorES(ns, "pull", genv1alpha1.QuayAccessTokenKind, "pull", time.Hour)
	create(t, es)
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	data := secretData(t, ns, "pull")
	exchanges := quay.Exchanges()
	if len(exchanges) != 1 {
		t.Fatalf("%d exchanges at Quay, want 1 for one sync", len(exchanges))
	}
	x := exchanges[0]
	if x.Claims.Subject != tokenapi.ServiceAccountSubject(ns, "puller") || !x.Claims.HasAudience("quay.example") {
		t.Errorf("Quay received a token of %s for %v; want puller's, for quay.example", x.Claims.Subject, x.Claims.Audience)
	}
	want := map[string]string{
		"registry": quay.Host,
		"auth":     base64.StdEncoding.EncodeToString([]byte("org+ferry:" + x.Token)),
		"expiry":   strconv.FormatInt(x.Expiry.Unix(), 10),
	}
	if len(data) != len(want) {
		t.Errorf("keys %v, want %v", keys(data), want)
	}
	for k, v := range want {
		if string(data[k]) != v {
			t.Errorf("%s = %q, want %q", k, data[k], v)
		}
	}

	t.Run("robot not federated with this ServiceAccount", func(t *testing.T) {
		quayGenerator("stranger", "org+ferry", "stranger")
		es := generatorES(ns, "stranger", genv1alpha1.QuayAccessTokenKind, "stranger", time.Hour)
		create(t, es)
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonSecretSyncedError)
		if !strings.Contains(msg, "/oauth2/federation/robot/token: answered 401 Unauthorized: Token does not match robot") {
			t.Errorf("message %q does not give Quay's status and reason", msg)
		}
		assertNoSecret(t, ns, "stranger")
	})
	t.Run("Quay failing", func(t *testing.T) {
		quay.Fail(http.StatusServiceUnavailable)
		quayGenerator("down", "org+ferry", "puller")
		es := generatorES(ns, "down", genv1alpha1.QuayAccessTokenKind, "down", time.Hour)
		create(t, es)
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonSecretSyncedError)
		if !strings.Contains(msg, "answered 503 Service Unavailable") || strings.Contains(msg, tokenapi.CanaryBody) {
			t.Errorf("message %q: want the status and nothing of the body", msg)
		}
		// Retried with backoff: synced once Quay answers again.
		quay.Fail(0)
		if got := secretData(t, ns, "down")["registry"]; string(got) != quay.Host {
			t.Errorf("registry %q after Quay recovered", got)
		}
	})
	t.Run("ServiceAccount of another namespace", func(t *testing.T) {
		other := "kube-system"
		create(t, &genv1alpha1.QuayAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "elsewhere"},
			Spec: genv1alpha1.QuayAccessTokenSpec{URL: quay.Host, RobotAccount: "org+ferry",
				ServiceAccountRef: esv1.ServiceAccountSelector{Name: "default", Namespace: &other}}})
		es := generatorES(ns, "elsewhere", genv1alpha1.QuayAccessTokenKind, "elsewhere", time.Hour)
		create(t, es)
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonInvalidSpec)
		if !strings.Contains(msg, "spec.serviceAccountRef.namespace") {
			t.Errorf("message %q does not name the field", msg)
		}
	})
	if n := len(quay.Exchanges()); n != 2 {
		t.Errorf("%d robot tokens issued, want 2 (the first sync and the recovered one)", n)
	}
	if strings.Contains(logs.String(), quay.Exchanges()[0].Token) {
		t.Error("a robot token reached the operator's logs")
	}
}
