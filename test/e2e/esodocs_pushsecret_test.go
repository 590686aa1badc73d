package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ferryhq/ferry/internal/testenv"
)

// TestESODocsPushSecret applies full-pushsecret.yaml and the dataTo examples of ESO's
// PushSecret page and checks the values at moto: the template's data and its templateFrom
// ConfigMap pushed to Parameter Store; a change of the source Secret pushed within 10 s
// though refreshInterval is 1h; every key dataTo matches pushed under the name its regexp
// or transform rewrite gives it, and nothing else.
func TestESODocsPushSecret(t *testing.T) {
	ctx := context.Background()
	moto := testenv.MustStartMoto(t)
	sm := secretsManager(t, moto.Endpoint)
	params := parameterStore(t, moto.Endpoint)
	startFerry(t, motoEnv(moto))
	applyESODoc(t, "pushsecret.yaml", nil)
	const ns = "esodocs-push"

	waitParameter(t, 30*time.Second, params, "my-first-parameter", "PIKACHU is the really best!")
	waitParameter(t, 10*time.Second, params, "my-config-parameter", "favourite: Pikachu\n")
	waitReadyReason(t, 10*time.Second, ns, "pushsecret", "pushsecret-example", "Synced")

	t.Run("source change pushed within 10s", func(t *testing.T) {
		kubectl(t, "patch", "secret", "-n", ns, "pokedex-credentials", "--type=merge", "-p", `{"stringData":{"best-pokemon":"bulbasaur"}}`)
		changed := time.Now()
		waitParameter(t, 10*time.Second, params, "my-first-parameter", "BULBASAUR is the really best!")
		waitParameter(t, 10*time.Second-time.Since(changed), params, "my-config-parameter", "favourite: Bulbasaur\n")
	})

	t.Run("dataTo match and rewrite", func(t *testing.T) {
		want := map[string]string{
			"myapp/database/host":     "localhost",
			"myapp/database/port":     "5432",
			"myapp/database/password": "secret123",
			"app/API-KEY":             "xyz789",
		}
		for id, value := range want {
			waitSMValue(t, 30*time.Second, sm, id, value)
		}
		waitReadyReason(t, 10*time.Second, ns, "pushsecret", "push-db-secrets", "Synced")
		list, err := sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(100)})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range list.SecretList {
			names = append(names, aws.ToString(s.Name))
			if _, ok := want[aws.ToString(s.Name)]; !ok {
				t.Errorf("dataTo pushed %s, which no entry selects under that name", aws.ToString(s.Name))
			}
		}
		if len(names) != len(want) {
			t.Errorf("moto holds %d secrets (%v), want the %d dataTo pushed", len(names), names, len(want))
		}
	})
}

// TestESODocsClusterPushSecret applies full-cluster-push-secret.yaml's ClusterPushSecret: a
// PushSecret hello-world-ps in each namespace labelled cool=label pushes that namespace's
// source-secret, templated, as the property best-pokemon-dst of destination-secret, as ESO's
// page shows; a namespace without the label gets none until it is labelled.
func TestESODocsClusterPushSecret(t *testing.T) {
	moto := testenv.MustStartMoto(t)
	startFerry(t, motoEnv(moto))
	// Run after the ClusterPushSecret is deleted (cleanups run last first): the test control
	// plane has no garbage collector to delete the PushSecrets it owned.
	t.Cleanup(func() {
		for _, ns := range []string{"esodocs-cps-a", "esodocs-cps-b", "esodocs-cps-c"} {
			if out, err := kubectlErr("delete", "pushsecret", "-n", ns, "hello-world-ps", "--ignore-not-found", "--timeout=30s"); err != nil {
				t.Errorf("deleting hello-world-ps in %s: %v: %s", ns, err, out)
			}
		}
	})
	applyESODoc(t, "cluster-push-secret.yaml", nil)
	regions := map[string]string{"esodocs-cps-a": "eu-west-1", "esodocs-cps-b": "us-east-1", "esodocs-cps-c": "eu-central-1"}
	want := map[string]string{
		"esodocs-cps-a": `{"best-pokemon-dst":"PIKACHU is the really best!"}`,
		"esodocs-cps-b": `{"best-pokemon-dst":"BULBASAUR is the really best!"}`,
		"esodocs-cps-c": `{"best-pokemon-dst":"SQUIRTLE is the really best!"}`,
	}
	pushed := func(ns string) string {
		return smValue(secretsManagerIn(t, moto.Endpoint, regions[ns]), "destination-secret")
	}
	for _, ns := range []string{"esodocs-cps-a", "esodocs-cps-b"} {
		testenv.Eventually(t, 30*time.Second, ns+": destination-secret pushed", func() (bool, error) {
			return sameJSON(pushed(ns), want[ns]), nil
		})
		if got := jsonpathOf(ns, "pushsecret", "hello-world-ps", "{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}"); got != "ClusterPushSecret/hello-world" {
			t.Errorf("%s: hello-world-ps is owned by %q, want ClusterPushSecret/hello-world", ns, got)
		}
	}
	testenv.Eventually(t, 10*time.Second, "Ready and both namespaces provisioned", func() (bool, error) {
		got := jsonpathOf("", "clusterpushsecret", "hello-world", `{.status.conditions[?(@.type=="Ready")].status} {.status.provisionedNamespaces}`)
		return got == `True ["esodocs-cps-a","esodocs-cps-b"]`, nil
	})
	if _, err := kubectlErr("get", "pushsecret", "-n", "esodocs-cps-c", "hello-world-ps"); err == nil {
		t.Error("a PushSecret was made in a namespace without the label")
	}
	if got := pushed("esodocs-cps-c"); got != "" {
		t.Error("the unlabelled namespace's source-secret was pushed")
	}

	kubectl(t, "label", "namespace", "esodocs-cps-c", "cool=label")
	testenv.Eventually(t, 20*time.Second, "esodocs-cps-c: destination-secret pushed once labelled", func() (bool, error) {
		return sameJSON(pushed("esodocs-cps-c"), want["esodocs-cps-c"]), nil
	})
}

// sameJSON reports whether two JSON documents hold the same object.
func sameJSON(a, b string) bool {
	var x, y map[string]any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return string(xs) == string(ys)
}
