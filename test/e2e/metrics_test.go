package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// The secret value of the metrics tests: it must appear in no label of any series.
const metricsSecretValue = "s3cr3t-metric-value-7f2a"

// TestMetrics scrapes the ferry binary's /metrics, with its default (ESO's) labels, after
// syncs, a failure, a restart and a held-back restart, and checks the series ESO users have
// dashboards for, Ferry's own, and that no label carries a secret value.
func TestMetrics(t *testing.T) {
	port := freePort(t)
	startFerry(t, nil, "--metrics-bind-address=127.0.0.1:"+port)
	ns := "metrics"
	ensureNamespace(t, ns)
	metricsScenario(t, ns)

	// "periodic" refreshes every 3s; on each refresh its second entry, the same key as its
	// first, is served from the fetcher's cache.
	var families map[string]float64
	testenv.Eventually(t, 30*time.Second, "a cache hit", func() (bool, error) {
		families = scrape(t, port)
		return families["ferry_fetch_cache_hits_total"] >= 1, nil
	})
	want := []struct {
		series string
		min    float64
	}{
		{`externalsecret_sync_calls_total{name="db",namespace="metrics"}`, 2},
		{`externalsecret_sync_calls_total{name="periodic",namespace="metrics"}`, 2},
		{`externalsecret_sync_calls_error{name="missing",namespace="metrics"}`, 1},
		{`externalsecret_status_condition{condition="Ready",name="db",namespace="metrics",status="True"}`, 1},
		{`externalsecret_status_condition{condition="Ready",name="missing",namespace="metrics",status="False"}`, 1},
		{`externalsecret_reconcile_duration{name="db",namespace="metrics"}`, 1},
		{`secretstore_status_condition{condition="Ready",name="fake",namespace="metrics",status="True"}`, 1},
		{`secretstore_reconcile_duration{name="fake",namespace="metrics"}`, 1},
		{`externalsecret_provider_api_calls_count{call="GetSecret",provider="fake",status="success"}`, 1},
		{`externalsecret_provider_api_calls_count{call="GetSecret",provider="fake",status="error"}`, 1},
		{`ferry_externalsecret_sync_duration_seconds_count{result="success"}`, 2},
		{`ferry_externalsecret_sync_duration_seconds_bucket{result="success",le="+Inf"}`, 2},
		{`ferry_fetch_cache_hits_total`, 1},
		{`ferry_provider_clients_built_total{provider="fake",status="success"}`, 1},
		{`ferry_secret_writes_total{operation="create"}`, 2},
		{`ferry_secret_writes_total{operation="update"}`, 1},
		{`ferry_externalsecret_status_writes_total`, 3},
		{`ferry_rollouts_total{kind="Deployment"}`, 1},
		{`ferry_rollouts_skipped_total{kind="Deployment",reason="paused"}`, 1},
		{`ferry_store_status_condition{condition="Ready",kind="SecretStore",name="fake",namespace="metrics",status="True"}`, 1},
	}
	for _, w := range want {
		if got, ok := families[w.series]; !ok || got < w.min {
			t.Errorf("%s = %v (present: %v), want at least %v", w.series, got, ok, w.min)
		}
	}
	// ESO sets the opposite status of the Ready condition to 0; dashboards read both.
	for _, series := range []string{
		`externalsecret_status_condition{condition="Ready",name="db",namespace="metrics",status="False"}`,
		`externalsecret_status_condition{condition="Ready",name="missing",namespace="metrics",status="True"}`,
		`secretstore_status_condition{condition="Ready",name="fake",namespace="metrics",status="False"}`,
	} {
		if got, ok := families[series]; !ok || got != 0 {
			t.Errorf("%s = %v (present: %v), want 0", series, got, ok)
		}
	}
	for _, name := range []string{"ferry_fetch_coalesced_reads_total"} {
		if _, ok := families[name]; !ok {
			t.Errorf("series %s missing", name)
		}
	}
	assertBuildInfo(t, families)
	assertNotReadyByReason(t, families, ns)
	assertMonitoringMetricsServed(t, families)
	for series := range families {
		if strings.Contains(series, metricsSecretValue) {
			t.Errorf("a label carries the secret value: %s", series)
		}
	}
}

// esoSeries are the metric names ESO documents (its docs/api/metrics.md), which a user's
// dashboards and alerts may read.
var esoSeries = []string{
	"externalsecret_sync_calls_total", "externalsecret_sync_calls_error", "externalsecret_status_condition",
	"externalsecret_reconcile_duration", "externalsecret_provider_api_calls_count",
	"secretstore_status_condition", "secretstore_reconcile_duration",
	"clustersecretstore_status_condition", "clustersecretstore_reconcile_duration",
	"pushsecret_status_condition", "pushsecret_reconcile_duration",
	"clusterexternalsecret_status_condition", "clusterexternalsecret_reconcile_duration",
}

// TestMetricsESOSeries checks that the binary serves every series ESO documents, with ESO's
// labels, for an object of each kind, and that a deleted object's series go with it.
func TestMetricsESOSeries(t *testing.T) {
	port := freePort(t)
	startFerry(t, nil, "--metrics-bind-address=127.0.0.1:"+port)
	ns := "metrics-eso"
	ensureNamespace(t, ns)
	createFakeStore(t, ns)
	createES(t, ns, "db", "db-password")
	createES(t, ns, "missing", "no-such-key") // for externalsecret_sync_calls_error
	waitSynced(t, ns, "db")
	css, ces := esoKinds(t, ns)

	ready := func(kind, namespace, name string) string {
		return kind + `_status_condition{condition="Ready",name="` + name + `",namespace="` + namespace + `",status="True"}`
	}
	wantOne := []string{
		ready("externalsecret", ns, "db"), ready("secretstore", ns, "fake"), ready("pushsecret", ns, "push"),
		ready("clustersecretstore", "", css), ready("clusterexternalsecret", "", ces),
	}
	var families map[string]float64
	testenv.Eventually(t, 30*time.Second, "the Ready series of every kind", func() (bool, error) {
		families = scrape(t, port)
		for _, series := range wantOne {
			if families[series] != 1 {
				return false, fmt.Errorf("%s = %v", series, families[series])
			}
		}
		return true, nil
	})
	for _, name := range esoSeries {
		if !served(families, name) {
			t.Errorf("ESO's series %s is not served", name)
		}
	}
	for _, series := range []string{
		`externalsecret_reconcile_duration{name="db",namespace="` + ns + `"}`,
		`pushsecret_reconcile_duration{name="push",namespace="` + ns + `"}`,
		`clustersecretstore_reconcile_duration{name="` + css + `",namespace=""}`,
		`clusterexternalsecret_reconcile_duration{name="` + ces + `",namespace=""}`,
	} {
		if families[series] <= 0 {
			t.Errorf("%s = %v, want a duration in nanoseconds", series, families[series])
		}
	}

	mustDelete(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}})
	mustDelete(t, &esv1alpha1.PushSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "push"}})
	testenv.Eventually(t, 30*time.Second, "the deleted objects' series removed", func() (bool, error) {
		for series := range scrape(t, port) {
			if strings.Contains(series, `name="db",namespace="`+ns+`"`) || strings.Contains(series, `name="push",namespace="`+ns+`"`) {
				return false, fmt.Errorf("still served: %s", series)
			}
		}
		return true, nil
	})
}

// esoKinds creates, for TestMetricsESOSeries, a PushSecret in ns, a ClusterSecretStore and a
// ClusterExternalSecret that uses it in ns, and returns the names of the cluster-scoped two.
func esoKinds(t *testing.T, ns string) (css, ces string) {
	t.Helper()
	css, ces = ns+"-css", ns+"-ces"
	store := &esv1.ClusterSecretStore{ObjectMeta: metav1.ObjectMeta{Name: css}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: []esv1.FakeProviderData{{Key: "shared", Value: "v1"}}}}}}
	clusterES := &esv1.ClusterExternalSecret{ObjectMeta: metav1.ObjectMeta{Name: ces}, Spec: esv1.ClusterExternalSecretSpec{
		ExternalSecretName: "from-ces",
		Namespaces:         []esv1.NamespaceName{esv1.NamespaceName(ns)},
		ExternalSecretSpec: esv1.ExternalSecretSpec{
			SecretStoreRef:  esv1.SecretStoreRef{Name: css, Kind: esv1.ClusterSecretStoreKind},
			RefreshInterval: esv1.NewDuration(time.Hour),
			Data:            []esv1.ExternalSecretData{{SecretKey: "v", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "shared"}}},
		},
	}}
	mustCreate(t, store)
	mustCreate(t, clusterES)
	t.Cleanup(func() {
		// No garbage collector runs here: remove what the ClusterExternalSecret created too.
		for _, obj := range []client.Object{clusterES, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "from-ces"}}, store} {
			_ = cp.Client.Delete(context.Background(), obj)
		}
	})
	mustCreate(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"password": []byte(metricsSecretValue)}})
	mustCreate(t, &esv1alpha1.PushSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "push"},
		Spec: esv1alpha1.PushSecretSpec{
			RefreshInterval: esv1.NewDuration(time.Hour),
			SecretStoreRefs: []esv1alpha1.PushSecretStoreRef{{Name: "fake", Kind: esv1.SecretStoreKind}},
			Selector:        esv1alpha1.PushSecretSelector{Secret: &esv1alpha1.PushSecretSecret{Name: "source"}},
			Data: []esv1alpha1.PushSecretData{{Match: esv1alpha1.PushSecretMatch{SecretKey: "password",
				RemoteRef: esv1alpha1.PushSecretRemoteRef{RemoteKey: "pushed-password"}}}},
		}})
	return css, ces
}

// TestMetricsLowLabels checks --metrics-labels=low: the ExternalSecret series by namespace
// only, the condition gauge counting objects, and no series naming an object.
func TestMetricsLowLabels(t *testing.T) {
	port := freePort(t)
	startFerry(t, nil, "--metrics-bind-address=127.0.0.1:"+port, "--metrics-labels=low")
	ns := "metrics-low"
	ensureNamespace(t, ns)
	createFakeStore(t, ns)
	createES(t, ns, "db", "db-password")
	createES(t, ns, "db-copy", "db-password")
	waitSynced(t, ns, "db")
	waitSynced(t, ns, "db-copy")
	// The condition gauge is read from Ferry's cache at scrape time, which may trail the
	// status a moment: look until it shows.
	var families map[string]float64
	for series, want := range map[string]float64{
		`externalsecret_sync_calls_total{namespace="metrics-low"}`:                                 2,
		`externalsecret_status_condition{condition="Ready",namespace="metrics-low",status="True"}`: 2,
	} {
		testenv.Eventually(t, 10*time.Second, series, func() (bool, error) {
			families = scrape(t, port)
			v, ok := families[series]
			return ok && v >= want, fmt.Errorf("value %v, present %v", v, ok)
		})
	}
	for _, name := range esoSeries {
		for series := range families {
			if strings.HasPrefix(series, name+"{") && strings.Contains(series, `name="`) {
				t.Errorf("a series names an object with --metrics-labels=low: %s", series)
			}
		}
	}
	for _, name := range esoSeries {
		perObjectOnly := strings.HasSuffix(name, "_reconcile_duration") || !strings.HasPrefix(name, "externalsecret_")
		if perObjectOnly && served(families, name) {
			t.Errorf("per-object series %s served with --metrics-labels=low", name)
		}
	}
}

// assertBuildInfo checks the one ferry_build_info series: 1, labelled with a version, a
// commit and the Go version.
func assertBuildInfo(t *testing.T, families map[string]float64) {
	t.Helper()
	var found []string
	for series, v := range families {
		if strings.HasPrefix(series, "ferry_build_info{") {
			found = append(found, series)
			if v != 1 || !strings.Contains(series, `goversion="go1.`) || strings.Contains(series, `version=""`) {
				t.Errorf("%s = %v, want 1 with the Go version and a version", series, v)
			}
		}
	}
	if len(found) != 1 {
		t.Errorf("ferry_build_info series: %v, want one", found)
	}
}

// assertNotReadyByReason checks ferry_externalsecret_not_ready: the one failing ExternalSecret
// ("missing", whose key does not exist) counted under its condition's reason.
func assertNotReadyByReason(t *testing.T, families map[string]float64, ns string) {
	t.Helper()
	var es esv1.ExternalSecret
	if err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "missing"}, &es); err != nil {
		t.Fatal(err)
	}
	reason := ""
	for _, c := range es.Status.Conditions {
		if c.Type == esv1.ExternalSecretReady {
			reason = c.Reason
		}
	}
	series := fmt.Sprintf(`ferry_externalsecret_not_ready{namespace=%q,reason=%q}`, ns, reason)
	if got, ok := families[series]; !ok || got != 1 {
		t.Errorf("%s = %v (present: %v), want 1", series, got, ok)
	}
}

// served says whether a scrape holds a series of the metric name.
func served(families map[string]float64, name string) bool {
	for series := range families {
		if series == name || strings.HasPrefix(series, name+"{") {
			return true
		}
	}
	return false
}

func mustDelete(t *testing.T, obj client.Object) {
	t.Helper()
	if err := cp.Client.Delete(context.Background(), obj); err != nil {
		t.Fatalf("deleting %T %s: %v", obj, obj.GetName(), err)
	}
}

// metricsScenario makes Ferry do every kind of thing a metric counts: ExternalSecrets over one
// key, one that refreshes every 3s, one that fails, a value change that restarts a workload,
// and a paused workload whose restart is held back.
func metricsScenario(t *testing.T, ns string) {
	t.Helper()
	store := createFakeStore(t, ns)
	createES(t, ns, "db", "db-password")
	waitSynced(t, ns, "db")
	createES(t, ns, "db-copy", "db-password")
	waitSynced(t, ns, "db-copy")
	createES(t, ns, "missing", "no-such-key")
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "periodic"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "fake"}, RefreshInterval: esv1.NewDuration(3 * time.Second),
		Data: []esv1.ExternalSecretData{
			{SecretKey: "a", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db-password"}},
			{SecretKey: "b", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db-password"}},
		},
	}})

	mustCreate(t, restartable(ns, "api", false))
	mustCreate(t, restartable(ns, "paused", true))
	for _, name := range []string{"api", "paused"} {
		testenv.Eventually(t, 30*time.Second, name+" recorded", func() (bool, error) {
			var d appsv1.Deployment
			err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &d)
			return err == nil && d.Annotations["ferry.dev/last-digests"] != "", err
		})
	}
	updateFakeValue(t, store, metricsSecretValue+"-2")
	annotate(t, ns, "db", "force-sync", time.Now().Format(time.RFC3339Nano))
	testenv.Eventually(t, 60*time.Second, "api restarted", func() (bool, error) {
		var d appsv1.Deployment
		err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "api"}, &d)
		return err == nil && d.Spec.Template.Annotations["ferry.dev/config-digest"] != "", err
	})
	testenv.Eventually(t, 30*time.Second, "missing reported", func() (bool, error) {
		var es esv1.ExternalSecret
		err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "missing"}, &es)
		return err == nil && len(es.Status.Conditions) > 0 && es.Status.Conditions[0].Status == corev1.ConditionFalse, err
	})
}

func createFakeStore(t *testing.T, ns string) *esv1.SecretStore {
	t.Helper()
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "fake"}, Spec: esv1.SecretStoreSpec{
		Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: []esv1.FakeProviderData{{Key: "db-password", Value: metricsSecretValue}}}}}}
	mustCreate(t, store)
	return store
}

func createES(t *testing.T, ns, name, key string) {
	t.Helper()
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "fake"}, RefreshInterval: esv1.NewDuration(time.Hour),
		Data: []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: key}}},
	}})
}

func waitSynced(t *testing.T, ns, name string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, name+" synced", func() (bool, error) {
		var s corev1.Secret
		err := cp.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &s)
		return err == nil, err
	})
}

func mustCreate(t *testing.T, obj client.Object) {
	t.Helper()
	if err := cp.Client.Create(context.Background(), obj); err != nil {
		t.Fatalf("creating %T %s: %v", obj, obj.GetName(), err)
	}
}

func updateFakeValue(t *testing.T, store *esv1.SecretStore, value string) {
	t.Helper()
	ctx := context.Background()
	if err := cp.Client.Get(ctx, client.ObjectKeyFromObject(store), store); err != nil {
		t.Fatal(err)
	}
	store.Spec.Provider.Fake.Data[0].Value = value
	if err := cp.Client.Update(ctx, store); err != nil {
		t.Fatal(err)
	}
}

func annotate(t *testing.T, ns, name, key, value string) {
	t.Helper()
	// A second force-sync a moment later covers a cache that saw the store change late.
	for range 2 {
		es := &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, key, value+strconv.Itoa(time.Now().Nanosecond()))
		if err := cp.Client.Patch(context.Background(), es, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
	}
}

// restartable is a Deployment that opted in with Reloader's annotation and reads the Secret "db".
func restartable(ns, name string, paused bool) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{"reloader.stakater.com/auto": "true"}},
		Spec: appsv1.DeploymentSpec{
			Paused:   paused,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "example.invalid/app:1",
					EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}}}}}}},
			},
		},
	}
}

// scrape reads /metrics and returns every sample by its series: name{label="value",...}, labels
// sorted as Prometheus writes them.
func scrape(t *testing.T, port string) map[string]float64 {
	t.Helper()
	var body string
	testenv.Eventually(t, 30*time.Second, "/metrics", func() (bool, error) {
		resp, err := http.Get("http://127.0.0.1:" + port + "/metrics")
		if err != nil {
			return false, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		body = string(b)
		return err == nil && resp.StatusCode == http.StatusOK, err
	})
	samples := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}
