package onboardbase

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/conformance"
	"github.com/ferryhq/ferry/internal/provider/onboardbase/onboardbasefake"
)

const (
	testProject     = "auth-api"
	testEnvironment = "production"
	testAPIKey      = "OBB-API-KEY-7Q2ZVZYKYJNMMEMK"
	testPasscode    = "api key passcode"
)

// onboardbaseStore is a SecretStore in namespace apps on apiHost, reading the API key and
// the passcode from two Secrets, as ESO's documentation writes it.
func onboardbaseStore(apiHost string) *esv1.SecretStore {
	return &esv1.SecretStore{
		TypeMeta:   metav1.TypeMeta{Kind: esv1.SecretStoreKind},
		ObjectMeta: metav1.ObjectMeta{Name: "onboardbase", Namespace: "apps"},
		Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Onboardbase: &esv1.OnboardbaseProvider{
			APIHost: apiHost, Project: testProject, Environment: testEnvironment,
			Auth: esv1.OnboardbaseAuth{
				APIKeyRef:   esv1.SecretKeySelector{Name: "onboardbase-api-key", Key: "API_KEY"},
				PasscodeRef: esv1.SecretKeySelector{Name: "onboardbase-passcode", Key: "PASSCODE"},
			},
		}}},
	}
}

// kubeWith holds the API key and passcode Secrets of onboardbaseStore.
func kubeWith(apiKey, passcode string) client.Client {
	return kubeCounting(apiKey, passcode, nil)
}

// kubeCounting is kubeWith that counts, in gets when not nil, the Secrets read.
func kubeCounting(apiKey, passcode string, gets *atomic.Int32) client.Client {
	return fake.NewClientBuilder().WithInterceptorFuncs(interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*corev1.Secret); ok && gets != nil {
				gets.Add(1)
			}
			return c.Get(ctx, key, obj, opts...)
		},
	}).WithObjects(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "onboardbase-api-key", Namespace: "apps"},
			Data: map[string][]byte{"API_KEY": []byte(apiKey)}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "onboardbase-passcode", Namespace: "apps"},
			Data: map[string][]byte{"PASSCODE": []byte(passcode)}},
	).Build()
}

// startWithKey serves an empty environment of testProject readable with testAPIKey.
func startWithKey(t *testing.T) *onboardbasefake.Server {
	f := startOnboardbase(t)
	f.AddKey(testAPIKey, testPasscode)
	f.AddEnvironment(testProject, testEnvironment)
	return f
}

func newClient(t *testing.T, f *onboardbasefake.Server, apiKey, passcode string) *Client {
	t.Helper()
	c, err := New().NewClient(context.Background(), onboardbaseStore(f.APIHost()), kubeWith(apiKey, passcode), "apps")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c.(*Client)
}

// TestConformance runs the provider suite against the in-process Onboardbase API: each
// seeded secret is one environment secret whose value is the JSON object of its pairs.
// Onboardbase has no login (every call carries the API key), so what is counted as logging
// in is reading the two credential Secrets, which a client must do once, not per read.
func TestConformance(t *testing.T) {
	f := startWithKey(t)
	var secretReads atomic.Int32
	conformance.Run(t, conformance.Backend{
		Provider:  New(),
		Kube:      kubeCounting(testAPIKey, testPasscode, &secretReads),
		Namespace: "apps",
		Store:     func(*testing.T) esv1.GenericStore { return onboardbaseStore(f.APIHost()) },
		Seed: func(t *testing.T, key string, s conformance.Secret) string {
			value, err := json.Marshal(s.Data)
			if err != nil {
				t.Fatal(err)
			}
			f.Set(testProject, testEnvironment, key, string(value))
			return ""
		},
		Delete: func(_ *testing.T, key string) { f.Remove(testProject, testEnvironment, key) },
		Find:   conformance.FindByName,
		Logins: func() int { return int(secretReads.Load()) / 2 },
	})
}

// TestFailingServers: a server that answers 401, 403, 429, 500, garbage or nothing fails
// Validate and reads, never as "not found".
func TestFailingServers(t *testing.T) {
	conformance.RunFailingServers(t, conformance.FailingOptions{}, func(t *testing.T, srv *httptest.Server) provider.Client {
		c, err := New(WithHTTPClient(srv.Client())).NewClient(context.Background(), onboardbaseStore(srv.URL+apiPrefix),
			kubeWith(testAPIKey, testPasscode), "apps")
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

// TestRefusedAPIKey: a key Onboardbase does not know fails Validate with the reason, quoting
// neither the key nor the passcode.
func TestRefusedAPIKey(t *testing.T) {
	f := startWithKey(t)
	c := newClient(t, f, "OBB-REVOKED-KEY", testPasscode)
	conformance.CheckRefusedCredentials(t, c, "Onboardbase refused the API key", "OBB-REVOKED-KEY")
	if _, err := c.Validate(context.Background()); err != nil && containsAny(err.Error(), testPasscode) {
		t.Errorf("Validate quotes the passcode: %v", err)
	}
}
