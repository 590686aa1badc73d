package chart

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// upgradeColumn is the printer column the next chart version adds to the ExternalSecret CRD,
// so that the test can see the CRDs were upgraded.
const upgradeColumn = "UpgradeCheck"

// TestHelmUpgrade installs the committed chart (version N) with Ferry running, then upgrades
// to the same chart with the next version and a changed CRD (N+1) and restarts Ferry as the
// upgraded Deployment would. The CRDs must be upgraded while keeping the conversion webhook
// Ferry injected; the webhook certificate and the hash key must be kept; and no ExternalSecret
// status or target Secret may be rewritten by the new Ferry.
func TestHelmUpgrade(t *testing.T) {
	needControlPlane(t)
	// The release name and namespace of TestHelmInstall: the CRDs it keeps on uninstall are
	// owned by that release, and a release of another name could not adopt them.
	const ns, app = "ferry-system", "upgrade-app"
	ensureNamespace(t, ns, nil)
	if out, err := helm("install", "ferry", chartDir, "--namespace", ns); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Cleanup(func() { uninstall(t, "ferry", ns) })
	kubeconfig, _ := serviceAccountKubeconfig(t, ns, "ferry")

	ports := freePorts(t, 3)
	_, stopN := runFerry(t, kubeconfig, ns, ferryArgs(t, ns, ports))
	t.Cleanup(stopN)
	waitHTTP(t, "http://127.0.0.1:"+ports[1]+"/readyz")
	waitWebhookInjected(t, ports[2])

	ensureNamespace(t, app, nil)
	mustCreate(t, fakeStore(app, "store", "db-password", "v1"))
	// Refreshes fall on a grid placed in the interval by the store's name: with an hourly
	// interval the first refresh can come due while the test runs (it did, once a minute-39
	// run met the grid point of this store). A 30-day interval leaves a grid point in the
	// test's half minute a chance of about one in 86,000.
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: app, Name: "db"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "store"}, RefreshInterval: esv1.NewDuration(30 * 24 * time.Hour),
		Data: []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db-password"}}},
	}})
	waitSecret(t, app, "db", "password", "v1")
	waitReady(t, app, "db")
	before := snapshot(t, ns, app)
	stopN()

	next := nextChart(t, "0.1.1")
	if out, err := helm("upgrade", "ferry", next, "--namespace", ns); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	assertCRDsUpgraded(t)
	objs := releaseObjects(t, ns)
	if image := nested(t, one(t, objs, "Deployment", "ferry"), "spec", "template", "spec", "containers", 0, "image"); image != "ghcr.io/ferryhq/ferry:0.1.1" {
		t.Errorf("upgraded Deployment runs %v, want the image tag of the new appVersion", image)
	}

	ports = freePorts(t, 3)
	args := append(deploymentArgs(t, objs), localArgs(ports)...)
	startFerry(t, kubeconfig, ns, args)
	waitHTTP(t, "http://127.0.0.1:"+ports[1]+"/readyz")
	waitWebhookInjected(t, ports[2])
	// The new Ferry has been through every ExternalSecret once it has reconciled as many as
	// the cluster holds (other tests of this package leave theirs, some never synced).
	var all esv1.ExternalSecretList
	if err := cp.client.List(context.Background(), &all); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 60*time.Second, "the upgraded Ferry reconciled the ExternalSecrets", func() (bool, error) {
		n, err := metricSum("http://127.0.0.1:"+ports[0]+"/metrics", `controller_runtime_reconcile_total{controller="externalsecret",`)
		return n >= float64(len(all.Items)), err
	})
	// Reconciled, not synced: a sync that finds the same value writes nothing, so only the
	// new Ferry's sync counter of "db" shows whether it read the provider again. (Checked:
	// with decide() made to sync every object, this test fails.)
	dbSyncs := fmt.Sprintf(`externalsecret_sync_calls_total{name="db",namespace=%q}`, app)
	if n, err := metricSum("http://127.0.0.1:"+ports[0]+"/metrics", dbSyncs); err == nil && n != 0 {
		t.Errorf("the upgraded Ferry synced ExternalSecret %s/db %v times; it was in sync, want 0", app, n)
	}
	after := snapshot(t, ns, app)
	for what, was := range before {
		if now := after[what]; now != was {
			t.Errorf("%s changed across the upgrade: %q before, %q after", what, was, now)
		}
	}

	// The upgraded Ferry still syncs.
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: app, Name: "after-upgrade"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "store"},
		Data:           []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db-password"}}},
	}})
	waitSecret(t, app, "after-upgrade", "password", "v1")
}

// ferryArgs are the arguments of the installed release's Deployment, listening on loopback.
func ferryArgs(t *testing.T, ns string, ports []string) []string {
	t.Helper()
	return append(deploymentArgs(t, releaseObjects(t, ns)), localArgs(ports)...)
}

func localArgs(ports []string) []string {
	return []string{"--metrics-bind-address=127.0.0.1:" + ports[0], "--health-probe-bind-address=127.0.0.1:" + ports[1],
		"--webhook-host=127.0.0.1", "--webhook-port=" + ports[2], "--webhook-url=https://127.0.0.1:" + ports[2]}
}

func releaseObjects(t *testing.T, ns string) []*unstructured.Unstructured {
	t.Helper()
	manifest, err := helm("get", "manifest", "ferry", "--namespace", ns)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(manifest)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// snapshot records what an upgrade must not change: the ExternalSecret (its resourceVersion
// moves with any status write), its target Secret, the webhook certificate and the hash key.
func snapshot(t *testing.T, ns, app string) map[string]string {
	t.Helper()
	ctx := context.Background()
	s := map[string]string{}
	var es esv1.ExternalSecret
	if err := cp.client.Get(ctx, client.ObjectKey{Namespace: app, Name: "db"}, &es); err != nil {
		t.Fatal(err)
	}
	s["ExternalSecret db resourceVersion"] = es.ResourceVersion
	s["ExternalSecret db refreshTime"] = es.Status.RefreshTime.String()
	var target corev1.Secret
	if err := cp.client.Get(ctx, client.ObjectKey{Namespace: app, Name: "db"}, &target); err != nil {
		t.Fatal(err)
	}
	s["target Secret db resourceVersion"] = target.ResourceVersion
	for _, name := range []string{"ferry-webhook-tls", "ferry-hash-key"} {
		var secret corev1.Secret
		if err := cp.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &secret); err != nil {
			t.Fatalf("Secret %s that Ferry keeps: %v", name, err)
		}
		for key, value := range secret.Data {
			s["Secret "+name+" key "+key] = string(value)
		}
	}
	return s
}

func waitReady(t *testing.T, namespace, name string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, name+" Ready", func() (bool, error) {
		var es esv1.ExternalSecret
		if err := cp.client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, &es); err != nil {
			return false, err
		}
		for _, c := range es.Status.Conditions {
			if c.Type == esv1.ExternalSecretReady {
				return c.Status == corev1.ConditionTrue && es.Status.SyncedResourceVersion != "", nil
			}
		}
		return false, nil
	})
}

// nextChart copies the committed chart with version and appVersion set to version and a
// printer column added to the ExternalSecret CRD: what the next release looks like to Helm.
func nextChart(t *testing.T, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ferry")
	err := filepath.WalkDir(chartDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(chartDir, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	chartFile := filepath.Join(dir, "Chart.yaml")
	b, _ := os.ReadFile(chartFile)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "version:"):
			line = "version: " + version
		case strings.HasPrefix(line, "appVersion:"):
			line = "appVersion: " + strconv.Quote(version)
		}
		out = append(out, line)
	}
	if err := os.WriteFile(chartFile, []byte(strings.Join(out, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	addPrinterColumn(t, filepath.Join(dir, "files", "crds", "external-secrets.io_externalsecrets.yaml"))
	return dir
}

func addPrinterColumn(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(b, &crd); err != nil {
		t.Fatal(err)
	}
	for i := range crd.Spec.Versions {
		crd.Spec.Versions[i].AdditionalPrinterColumns = append(crd.Spec.Versions[i].AdditionalPrinterColumns,
			apiextensionsv1.CustomResourceColumnDefinition{Name: upgradeColumn, Type: "string", JSONPath: ".metadata.name"})
	}
	if b, err = yaml.Marshal(&crd); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// assertCRDsUpgraded checks that the upgrade reached the CRDs (labels of the new chart, the
// new column) and left the conversion webhook Ferry had injected.
func assertCRDsUpgraded(t *testing.T) {
	t.Helper()
	var crd apiextensionsv1.CustomResourceDefinition
	if err := cp.client.Get(context.Background(), client.ObjectKey{Name: "externalsecrets.external-secrets.io"}, &crd); err != nil {
		t.Fatal(err)
	}
	if got := crd.Labels["helm.sh/chart"]; got != "ferry-0.1.1" {
		t.Errorf("CRD label helm.sh/chart = %q after the upgrade, want ferry-0.1.1", got)
	}
	found := false
	for _, v := range crd.Spec.Versions {
		for _, c := range v.AdditionalPrinterColumns {
			found = found || c.Name == upgradeColumn
		}
	}
	if !found {
		t.Error("the upgraded chart's printer column is not in the CRD: helm upgrade did not upgrade the CRDs")
	}
	conv := crd.Spec.Conversion
	if conv == nil || conv.Strategy != apiextensionsv1.WebhookConverter || conv.Webhook == nil || len(conv.Webhook.ClientConfig.CABundle) == 0 {
		t.Errorf("the upgrade dropped the conversion webhook Ferry injected: %+v", conv)
	}
	if got := crd.Annotations["helm.sh/resource-policy"]; got != "keep" {
		t.Errorf("CRD resource-policy = %q after the upgrade, want keep", got)
	}
}

// metricSum scrapes url and returns the sum of the series that start with prefix (a name and
// the first labels): reconciles count as success, requeue or requeue_after.
func metricSum(url, prefix string) (float64, error) {
	resp, err := http.Get(url) //nolint:gosec // a loopback URL the test built
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sum, found := 0.0, false
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %w", line, err)
		}
		sum, found = sum+v, true
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("no series %s... served yet", prefix)
	}
	return sum, nil
}
