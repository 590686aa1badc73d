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

// syncGenerator creates an ExternalSecret named after the generator kind/name reads, waits
// for its Ready condition to have reason, and checks that the message holds want (the
// status a service answered) and nothing of a failing service's body.
func syncGenerator(t *testing.T, ns, kind, name, reason, want string) {
	t.Helper()
	status := corev1.ConditionFalse
	if reason == esv1.ReasonSecretSynced {
		status = corev1.ConditionTrue
	}
	es := generatorES(ns, name, kind, name, time.Hour)
	create(t, es)
	msg := waitReady(t, es, status, reason)
	if !strings.Contains(msg, want) || strings.Contains(msg, tokenapi.CanaryBody) {
		t.Errorf("message %q: want %q in it and nothing of the service's body", msg, want)
	}
	if status == corev1.ConditionFalse && reason != esv1.ReasonSecretSyncedError {
		assertNoSecret(t, ns, name)
	}
}

// assertExchanged checks that a Secret holds exactly want, written from the only token a
// server issued, and that no issued token reached the operator's logs; issued are the
// server's exchanges at the end of the test.
func assertExchanged(t *testing.T, data map[string][]byte, want map[string]string, issued []tokenapi.Exchange) {
	t.Helper()
	if len(data) != len(want) {
		t.Errorf("keys %v, want %d", keys(data), len(want))
	}
	for k, v := range want {
		if string(data[k]) != v {
			t.Errorf("%s = %q, want %q", k, data[k], v)
		}
	}
	for _, x := range issued {
		if strings.Contains(logs.String(), x.Token) {
			t.Error("an issued token reached the operator's logs")
		}
	}
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
	quayGenerator := func(name, sa string, saNamespace *string) {
		create(t, &genv1alpha1.QuayAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: genv1alpha1.QuayAccessTokenSpec{URL: "https://" + quay.Host, RobotAccount: "org+ferry",
				ServiceAccountRef: esv1.ServiceAccountSelector{Name: sa, Namespace: saNamespace, Audiences: []string{"quay.example"}}}})
	}

	quayGenerator("pull", "puller", nil)
	syncGenerator(t, ns, genv1alpha1.QuayAccessTokenKind, "pull", esv1.ReasonSecretSynced, "")
	data := secretData(t, ns, "pull")
	exchanges := quay.Exchanges()
	if len(exchanges) != 1 {
		t.Fatalf("%d exchanges at Quay, want 1 for one sync", len(exchanges))
	}
	x := exchanges[0]
	if x.Claims.Subject != tokenapi.ServiceAccountSubject(ns, "puller") || !x.Claims.HasAudience("quay.example") {
		t.Errorf("Quay received a token of %s for %v; want puller's, for quay.example", x.Claims.Subject, x.Claims.Audience)
	}

	t.Run("robot not federated with this ServiceAccount", func(t *testing.T) {
		quayGenerator("stranger", "stranger", nil)
		syncGenerator(t, ns, genv1alpha1.QuayAccessTokenKind, "stranger", esv1.ReasonSecretSyncedError,
			"/oauth2/federation/robot/token: answered 401 Unauthorized: Token does not match robot")
		assertNoSecret(t, ns, "stranger")
	})
	t.Run("Quay failing, then back", func(t *testing.T) {
		quay.Fail(http.StatusServiceUnavailable)
		quayGenerator("down", "puller", nil)
		syncGenerator(t, ns, genv1alpha1.QuayAccessTokenKind, "down", esv1.ReasonSecretSyncedError, "answered 503 Service Unavailable")
		quay.Fail(0) // retried with backoff
		if got := secretData(t, ns, "down")["registry"]; string(got) != quay.Host {
			t.Errorf("registry %q after Quay recovered", got)
		}
	})
	t.Run("ServiceAccount of another namespace", func(t *testing.T) {
		other := "kube-system"
		quayGenerator("elsewhere", "default", &other)
		syncGenerator(t, ns, genv1alpha1.QuayAccessTokenKind, "elsewhere", esv1.ReasonInvalidSpec,
			"spec.serviceAccountRef.namespace: a generator requests tokens only for ServiceAccounts in the namespace")
	})
	if n := len(quay.Exchanges()); n != 2 {
		t.Errorf("%d robot tokens issued, want 2 (the first sync and the recovered one)", n)
	}
	assertExchanged(t, data, map[string]string{
		"registry": quay.Host,
		"auth":     base64.StdEncoding.EncodeToString([]byte("org+ferry:" + x.Token)),
		"expiry":   strconv.FormatInt(x.Expiry.Unix(), 10),
	}, quay.Exchanges())
}

// TestCloudsmithAccessToken exchanges a ServiceAccount token at Cloudsmith's OIDC endpoint
// for a service account's token and writes its Docker auth and expiry; Cloudsmith's
// refusals and failures reach the condition with their status, nothing else of the answer.
func TestCloudsmithAccessToken(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	issuer := kubeIssuer(t)
	serviceAccount(t, ns, "builder")
	cloudsmith := tokenapi.NewCloudsmith(issuer, map[string]map[string]tokenapi.CloudsmithService{
		"acme": {"ci-robot": {Issuer: issuer.Issuer, RequiredClaims: map[string]string{
			"sub": tokenapi.ServiceAccountSubject(ns, "builder"), "aud": "https://api.cloudsmith.io"}}},
	})
	defer cloudsmith.Close()
	cloudsmithGenerator := func(name, org, serviceSlug, audience string) {
		create(t, &genv1alpha1.CloudsmithAccessToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: genv1alpha1.CloudsmithAccessTokenSpec{APIURL: cloudsmith.URL + "/", OrgSlug: org, ServiceSlug: serviceSlug,
				ServiceAccountRef: esv1.ServiceAccountSelector{Name: "builder", Audiences: []string{audience}}}})
	}

	cloudsmithGenerator("push", "acme", "ci-robot", "https://api.cloudsmith.io")
	syncGenerator(t, ns, genv1alpha1.CloudsmithAccessTokenKind, "push", esv1.ReasonSecretSynced, "")
	data := secretData(t, ns, "push")
	exchanges := cloudsmith.Exchanges()
	if len(exchanges) != 1 || exchanges[0].Principal != "ci-robot" {
		t.Fatalf("%d exchanges at Cloudsmith, want 1 for ci-robot, for one sync", len(exchanges))
	}
	x := exchanges[0]

	t.Run("token for another audience", func(t *testing.T) {
		cloudsmithGenerator("wrong-audience", "acme", "ci-robot", "sts.amazonaws.com")
		syncGenerator(t, ns, genv1alpha1.CloudsmithAccessTokenKind, "wrong-audience", esv1.ReasonSecretSyncedError,
			"/openid/acme/: answered 401 Unauthorized: OIDC token cannot be authenticated.")
		assertNoSecret(t, ns, "wrong-audience")
	})
	t.Run("unknown organization", func(t *testing.T) {
		cloudsmithGenerator("nowhere", "umbrella", "ci-robot", "https://api.cloudsmith.io")
		syncGenerator(t, ns, genv1alpha1.CloudsmithAccessTokenKind, "nowhere", esv1.ReasonSecretSyncedError, "answered 404 Not Found")
	})
	t.Run("Cloudsmith failing, then back", func(t *testing.T) {
		cloudsmith.Fail(http.StatusBadGateway)
		cloudsmithGenerator("down", "acme", "ci-robot", "https://api.cloudsmith.io")
		syncGenerator(t, ns, genv1alpha1.CloudsmithAccessTokenKind, "down", esv1.ReasonSecretSyncedError, "answered 502 Bad Gateway")
		cloudsmith.Fail(0) // retried with backoff
		if got := secretData(t, ns, "down")["auth"]; len(got) == 0 {
			t.Error("no auth after Cloudsmith recovered")
		}
	})
	t.Run("spec without serviceSlug", func(t *testing.T) {
		cloudsmithGenerator("incomplete", "acme", "", "https://api.cloudsmith.io")
		syncGenerator(t, ns, genv1alpha1.CloudsmithAccessTokenKind, "incomplete", esv1.ReasonInvalidSpec, "spec.serviceSlug: required")
	})
	if n := len(cloudsmith.Exchanges()); n != 2 {
		t.Errorf("%d Cloudsmith tokens issued, want 2 (the first sync and the recovered one)", n)
	}
	assertExchanged(t, data, map[string]string{
		"auth":   base64.StdEncoding.EncodeToString([]byte("token:" + x.Token)),
		"expiry": strconv.FormatInt(x.Expiry.Unix(), 10),
	}, cloudsmith.Exchanges())
}
