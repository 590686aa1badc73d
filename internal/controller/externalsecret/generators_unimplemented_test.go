package externalsecret_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// writtenObjects are objects of kinds Ferry serves, each with every field of its schema set
// (defaulted fields included, so nothing is added on create). Their spec must read back
// exactly as written: nothing pruned, nothing defaulted, nothing refused. Those of kinds
// Ferry does not act on must not be written to at all; a ClusterPushSecret (actedOn) gets
// a status, and its spec is still kept as written.
var writtenObjects = []struct {
	apiVersion, kind string
	clusterScoped    bool
	actedOn          bool
	spec             string
}{
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "SSHKey",
		spec: `{"keyType": "ecdsa", "keySize": 384, "comment": "deploy@example"}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "ACRAccessToken", spec: `{
		"auth": {
			"servicePrincipal": {"secretRef": {
				"clientId": {"name": "azure", "key": "id", "namespace": "team"},
				"clientSecret": {"name": "azure", "key": "secret", "namespace": "team"}}},
			"managedIdentity": {"identityId": "mi-1"},
			"workloadIdentity": {"serviceAccountRef": {"name": "acr", "namespace": "team", "audiences": ["api://AzureADTokenExchange"]}}},
		"tenantId": "tenant-1", "registry": "example.azurecr.io", "scope": "repository:app:pull",
		"environmentType": "ChinaCloud"}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "BeyondtrustWorkloadCredentialsDynamicSecret", spec: `{
		"controller": "dev",
		"retrySettings": {"maxRetries": 3, "retryInterval": "10s"},
		"provider": {
			"server": {"apiUrl": "https://bt.example/api", "siteId": "site-1"},
			"auth": {"apikey": {"token": {"name": "bt", "key": "token", "namespace": "team"}}},
			"folderPath": "apps/db", "caBundle": "Y2E=",
			"caProvider": {"type": "ConfigMap", "name": "ca", "key": "ca.crt", "namespace": "team"}}}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "CloudsmithAccessToken", spec: `{
		"apiUrl": "https://api.cloudsmith.example", "orgSlug": "org", "serviceSlug": "svc",
		"serviceAccountRef": {"name": "cs", "namespace": "team", "audiences": ["cloudsmith"]}}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "GCRAccessToken", spec: `{
		"projectID": "project-1",
		"auth": {
			"secretRef": {"secretAccessKeySecretRef": {"name": "gcp", "key": "sa.json", "namespace": "team"}},
			"workloadIdentity": {"serviceAccountRef": {"name": "gcr", "namespace": "team", "audiences": ["a"]},
				"clusterLocation": "europe-west1", "clusterName": "prod", "clusterProjectID": "project-2"},
			"workloadIdentityFederation": {
				"credConfig": {"name": "wif", "key": "config.json", "namespace": "team"},
				"serviceAccountRef": {"name": "wif", "namespace": "team", "audiences": ["b"]},
				"awsSecurityCredentials": {"region": "eu-west-1", "awsCredentialsSecretRef": {"name": "aws", "namespace": "team"}},
				"audience": "//iam.googleapis.com/projects/1/pools/p/providers/q",
				"externalTokenEndpoint": "https://token.example",
				"gcpServiceAccountEmail": "ferry@project-1.iam.gserviceaccount.com"}}}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "GithubAccessToken", spec: `{
		"url": "https://github.example/api/v3", "appID": "123", "installID": "456",
		"repositories": ["app", "lib"], "permissions": {"contents": "read"},
		"auth": {"privateKey": {"secretRef": {"name": "gh", "key": "key.pem", "namespace": "team"}}}}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "GitlabDeployToken", spec: `{
		"url": "https://gitlab.example", "groupID": "42", "name": "ci", "username": "ci-bot",
		"scopes": ["read_repository", "read_registry", "write_virtual_registry"],
		"expiresAt": "2030-01-02T03:04:05Z",
		"auth": {"token": {"secretRef": {"name": "gl", "key": "token", "namespace": "team"}}}}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Grafana", spec: `{
		"url": "https://grafana.example",
		"auth": {"token": {"name": "graf", "key": "token"}, "basic": {"username": "admin", "password": {"name": "graf", "key": "pw"}}},
		"serviceAccount": {"name": "ferry", "role": "Viewer", "secondsToLive": 3600}}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "MFA", spec: `{
		"secret": {"name": "totp", "key": "seed", "namespace": "team"},
		"length": 8, "timePeriod": 60, "algorithm": "sha256", "when": "2030-01-02T03:04:05Z"}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "QuayAccessToken", spec: `{
		"url": "https://quay.example", "robotAccount": "org+robot",
		"serviceAccountRef": {"name": "quay", "namespace": "team", "audiences": ["quay"]}}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "Webhook", spec: `{
		"method": "POST", "url": "https://hook.example/{{ .auth.token }}", "headers": {"X-Team": "a"},
		"auth": {"ntlm": {"usernameSecret": {"name": "ntlm", "key": "user", "namespace": "team"},
			"passwordSecret": {"name": "ntlm", "key": "pw", "namespace": "team"}}},
		"body": "{}", "timeout": "5s", "result": {"jsonPath": "$.data"},
		"secrets": [{"name": "auth", "secretRef": {"name": "hook", "key": "token"}}],
		"caBundle": "Y2E=", "caProvider": {"type": "Secret", "name": "ca", "key": "ca.crt"}}`},
	{apiVersion: "generators.external-secrets.io/v1alpha1", kind: "ClusterGenerator", clusterScoped: true, spec: `{
		"kind": "BeyondtrustWorkloadCredentialsDynamicSecret",
		"generator": {"beyondtrustWorkloadCredentialsDynamicSecretSpec": {
			"provider": {"server": {"apiUrl": "https://bt.example/api", "siteId": "site-1"},
				"auth": {"apikey": {"token": {"name": "bt", "key": "token"}}}}}}}`},
	{apiVersion: "external-secrets.io/v1alpha1", kind: "ClusterPushSecret", clusterScoped: true, actedOn: true, spec: `{
		"refreshTime": "10m", "pushSecretName": "pushed",
		"pushSecretMetadata": {"annotations": {"a": "b"}, "labels": {"c": "d"}},
		"namespaceSelectors": [{"matchLabels": {"team": "a"},
			"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}],
		"pushSecretSpec": {
			"refreshInterval": "1h", "updatePolicy": "IfNotExists", "deletionPolicy": "Delete",
			"secretStoreRefs": [{"name": "store", "kind": "ClusterSecretStore"},
				{"kind": "SecretStore", "labelSelector": {"matchLabels": {"push": "yes"}}}],
			"selector": {"secret": {"name": "source"}},
			"data": [{"match": {"secretKey": "k", "remoteRef": {"remoteKey": "remote", "property": "p"}},
				"metadata": {"any": {"shape": true}}, "conversionStrategy": "ReverseUnicode"}],
			"dataTo": [{"storeRef": {"name": "store", "kind": "SecretStore"}, "match": {"regexp": "^db-"},
				"rewrite": [{"regexp": {"source": "^db-", "target": ""}}],
				"metadata": {"x": 1}, "conversionStrategy": "None"}],
			"template": {"type": "Opaque", "engineVersion": "v2", "mergePolicy": "Merge",
				"metadata": {"annotations": {"e": "f"}, "labels": {"g": "h"}, "finalizers": ["example.com/keep"]},
				"data": {"k": "{{ .k }}"},
				"templateFrom": [{"configMap": {"name": "tpl", "items": [{"key": "t", "templateAs": "KeysAndValues"}]},
					"target": "Annotations", "valuesDecodingStrategy": "Base64"}]}}}`},
}

// TestObjectsKeptAsWritten checks that generators, and every other object of a kind Ferry
// does not write to, read back as written while the operator runs. Every generator kind
// of ESO v2.9 is generated now, so no ExternalSecret can name one Ferry does not
// implement; the registry's answer to such a kind is tested in internal/generator.
func TestObjectsKeptAsWritten(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	var objects []*unstructured.Unstructured
	for _, w := range writtenObjects {
		obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": w.apiVersion, "kind": w.kind}}
		var spec map[string]any
		if err := json.Unmarshal([]byte(w.spec), &spec); err != nil {
			t.Fatalf("%s: %v", w.kind, err)
		}
		obj.Object["spec"] = spec
		obj.SetName("written")
		if w.clusterScoped {
			obj.SetName("written-" + suffix)
			t.Cleanup(func() { _ = k8s.Delete(context.Background(), obj) })
		} else {
			obj.SetNamespace(ns)
		}
		create(t, obj)
		objects = append(objects, obj)
	}

	// A reconcile after every object was created: an ExternalSecret of a generator, which
	// reads that generator.
	create(t, &genv1alpha1.UUID{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "id"}})
	es := generatorES(ns, "id", genv1alpha1.UUIDKind, "id", time.Hour)
	create(t, es)
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)

	// None of the objects was touched.
	for i, obj := range objects {
		assertKeptAsWritten(t, obj, writtenObjects[i].spec, writtenObjects[i].actedOn)
	}
}

// assertKeptAsWritten reads obj back and compares its spec with the one written, and,
// unless Ferry acts on its kind, checks that nothing wrote to it since it was created.
func assertKeptAsWritten(t *testing.T, created *unstructured.Unstructured, writtenSpec string, actedOn bool) {
	t.Helper()
	got := &unstructured.Unstructured{}
	got.SetGroupVersionKind(created.GroupVersionKind())
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(created), got); err != nil {
		t.Fatalf("reading %s back: %v", created.GetKind(), err)
	}
	var want any
	if err := json.Unmarshal([]byte(writtenSpec), &want); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(got.Object["spec"])
	if err != nil {
		t.Fatal(err)
	}
	var spec any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(spec, want) {
		t.Errorf("%s reads back as\n%s\nwritten as\n%s", created.GetKind(), raw, writtenSpec)
	}
	if actedOn {
		return
	}
	if got.GetResourceVersion() != created.GetResourceVersion() || len(got.GetFinalizers()) > 0 || got.Object["status"] != nil {
		t.Errorf("%s was written to: resourceVersion %s (created %s), finalizers %v, status %v", created.GetKind(),
			got.GetResourceVersion(), created.GetResourceVersion(), got.GetFinalizers(), got.Object["status"])
	}
}
