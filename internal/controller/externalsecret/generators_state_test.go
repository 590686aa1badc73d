package externalsecret_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/controller/generatorstate"
	"github.com/ferryhq/ferry/internal/genstate"
	"github.com/ferryhq/ferry/internal/testenv"
	"github.com/ferryhq/ferry/internal/testenv/tokenapi"
)

// liveTokens returns the keys of the tokens the Grafana server holds.
func liveTokens(server *tokenapi.Grafana) map[string]bool {
	keys := map[string]bool{}
	for _, t := range server.Tokens() {
		keys[t.Key] = true
	}
	return keys
}

// states lists the GeneratorStates of a namespace.
func states(t *testing.T, ns string) []genv1alpha1.GeneratorState {
	t.Helper()
	var list genv1alpha1.GeneratorStateList
	if err := k8s.List(context.Background(), &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// waitTokens waits until the server holds exactly the given tokens.
func waitTokens(t *testing.T, server *tokenapi.Grafana, what string, want ...string) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, what, func() (bool, error) {
		live := liveTokens(server)
		for _, key := range want {
			if !live[key] {
				return false, fmt.Errorf("%d live tokens, a wanted one missing", len(live))
			}
		}
		return len(live) == len(want), fmt.Errorf("%d live tokens, want %d", len(live), len(want))
	})
}

// TestGrafanaGeneratorTokensAreCleanedUp follows Grafana tokens through their
// GeneratorStates: the Secret holds the live token, a replaced token is deleted at
// Grafana after the grace period, and deleting the ExternalSecret deletes the last one.
func TestGrafanaGeneratorTokensAreCleanedUp(t *testing.T) {
	server := tokenapi.NewGrafana("admin-token", "", "")
	defer server.Close()
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "grafana-admin"},
		Data: map[string][]byte{"token": []byte("admin-token")}})
	create(t, &genv1alpha1.Grafana{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dash"},
		Spec: genv1alpha1.GrafanaSpec{URL: server.URL,
			Auth:           genv1alpha1.GrafanaAuth{Token: &genv1alpha1.LocalSecretKeySelector{Name: "grafana-admin", Key: "token"}},
			ServiceAccount: genv1alpha1.GrafanaServiceAccount{Name: "dashboards", Role: "Viewer"}}})
	es := generatorES(ns, "dash", genv1alpha1.GrafanaKind, "dash", time.Hour)
	create(t, es)
	first := secretValue(t, ns, "dash", "token")
	waitSecretData(t, ns, "dash", map[string]string{"login": "sa-1-dashboards", "token": first})
	waitTokens(t, server, "the first token live", first)
	testenv.Eventually(t, 20*time.Second, "one GeneratorState, with the finalizer", func() (bool, error) {
		list := states(t, ns)
		return len(list) == 1 && len(list[0].Finalizers) == 1 && list[0].Spec.GarbageCollectionDeadline == nil &&
			list[0].Labels[genv1alpha1.GeneratorStateLabelOwnerKey] == genstate.OwnerKey(esv1.ExtSecretKind, "dash", "0"), fmt.Errorf("%d states", len(list))
	})

	update(t, es, func(es *esv1.ExternalSecret) { es.Annotations = map[string]string{"force-sync": "1"} })
	second := waitValueChange(t, ns, "dash", "token", first)
	// The replaced token is deleted after the grace period (2 s in these tests); the new
	// one stays.
	waitTokens(t, server, "only the second token live", second)
	testenv.Eventually(t, 20*time.Second, "one GeneratorState left", func() (bool, error) {
		return len(states(t, ns)) == 1, nil
	})

	if err := k8s.Delete(context.Background(), es); err != nil {
		t.Fatal(err)
	}
	waitTokens(t, server, "no token left once the ExternalSecret is gone")
	testenv.Eventually(t, 20*time.Second, "no GeneratorState left", func() (bool, error) {
		return len(states(t, ns)) == 0, nil
	})
}

// TestExpiredGeneratorStateIsCollected checks that a GeneratorState written as External
// Secrets Operator writes them (a Grafana resource, ESO's state fields) is deleted once its
// deadline passes, after the token it names is deleted at Grafana; and that one whose
// resource Ferry cannot act on is still let go.
func TestExpiredGeneratorStateIsCollected(t *testing.T) {
	server := tokenapi.NewGrafana("admin-token", "", "")
	defer server.Close()
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "grafana-admin"},
		Data: map[string][]byte{"token": []byte("admin-token")}})
	// A token ESO created: issue it through the generator's own server, outside Ferry.
	tok, id := issueGrafanaToken(t, server)
	resource := fmt.Sprintf(`{"apiVersion":"generators.external-secrets.io/v1alpha1","kind":"Grafana",
		"metadata":{"name":"old","namespace":%q},"spec":{"url":%q,
		"auth":{"token":{"name":"grafana-admin","key":"token"}},"serviceAccount":{"name":"eso","role":"Viewer"}}}`, ns, server.URL)
	deadline := metav1.NewTime(time.Now().Add(3 * time.Second))
	create(t, &genv1alpha1.GeneratorState{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gen-eso"},
		Spec: genv1alpha1.GeneratorStateSpec{GarbageCollectionDeadline: &deadline,
			Resource: &apiextensionsv1.JSON{Raw: []byte(resource)},
			State:    &apiextensionsv1.JSON{Raw: fmt.Appendf(nil, `{"serviceAccount":{"id":%d,"login":"sa-1-eso","tokenID":%d}}`, id.account, id.token)}}})
	create(t, &genv1alpha1.GeneratorState{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gen-unknown"},
		Spec: genv1alpha1.GeneratorStateSpec{GarbageCollectionDeadline: &deadline,
			Resource: &apiextensionsv1.JSON{Raw: []byte(`{"apiVersion":"generators.external-secrets.io/v1alpha1","kind":"Nonexistent"}`)},
			State:    &apiextensionsv1.JSON{Raw: []byte(`{}`)}}})
	testenv.Eventually(t, 20*time.Second, "the finalizer on the states", func() (bool, error) {
		list := states(t, ns)
		return len(list) == 2 && len(list[0].Finalizers) == 1 && list[0].Finalizers[0] == generatorstate.Finalizer, nil
	})
	if !liveTokens(server)[tok] {
		t.Fatal("the token was deleted before the deadline")
	}
	waitTokens(t, server, "the token deleted after the deadline")
	testenv.Eventually(t, 20*time.Second, "both states collected", func() (bool, error) {
		return len(states(t, ns)) == 0, nil
	})
}

type grafanaIDs struct{ account, token int64 }

// issueGrafanaToken creates a service account and a token at the server as a client
// would, and returns the token's key and IDs.
func issueGrafanaToken(t *testing.T, server *tokenapi.Grafana) (string, grafanaIDs) {
	t.Helper()
	ids, key, err := server.Issue("eso", "Viewer")
	if err != nil {
		t.Fatal(err)
	}
	return key, grafanaIDs{account: ids[0], token: ids[1]}
}

// TestGitlabDeployTokenGenerator checks that the Secret holds the deploy token a server
// speaking GitLab's API created for the project, with the scopes and expiry asked for,
// and that a replaced token is revoked after the grace period.
func TestGitlabDeployTokenGenerator(t *testing.T) {
	server := tokenapi.NewGitLab("glpat-admin", "projects/42")
	defer server.Close()
	ns := testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "gitlab"},
		Data: map[string][]byte{"token": []byte("glpat-admin")}})
	expires := metav1.NewTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	create(t, &genv1alpha1.GitlabDeployToken{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "registry"},
		Spec: genv1alpha1.GitlabDeployTokenSpec{URL: server.URL, ProjectID: "42", Name: "ci", Username: "ci-bot",
			Scopes: []genv1alpha1.GitlabDeployTokenScope{"read_registry"}, ExpiresAt: &expires,
			Auth: genv1alpha1.GitlabAuth{Token: genv1alpha1.GitlabSecretRef{SecretRef: esv1.SecretKeySelector{Name: "gitlab", Key: "token"}}}}})
	es := generatorES(ns, "registry", genv1alpha1.GitlabDeployTokenKind, "registry", time.Hour)
	create(t, es)
	first := secretValue(t, ns, "registry", "token")
	waitSecretData(t, ns, "registry", map[string]string{"username": "ci-bot", "token": first})
	tokens := server.Tokens()
	if len(tokens) != 1 {
		t.Fatalf("%d deploy tokens", len(tokens))
	}
	for _, tok := range tokens {
		if tok.Token != first || tok.Owner != "projects/42" || tok.ExpiresAt != "2030-01-02T03:04:05Z" ||
			len(tok.Scopes) != 1 || tok.Scopes[0] != "read_registry" {
			t.Errorf("deploy token for %s, scopes %v, expiring %s; or not the Secret's", tok.Owner, tok.Scopes, tok.ExpiresAt)
		}
	}

	update(t, es, func(es *esv1.ExternalSecret) { es.Annotations = map[string]string{"force-sync": "1"} })
	second := waitValueChange(t, ns, "registry", "token", first)
	testenv.Eventually(t, 20*time.Second, "only the second deploy token left", func() (bool, error) {
		tokens := server.Tokens()
		for _, tok := range tokens {
			if tok.Token != second {
				return false, fmt.Errorf("%d tokens", len(tokens))
			}
		}
		return len(tokens) == 1, nil
	})
}
