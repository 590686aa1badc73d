package chart

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestHelmInstallNamespaces installs the chart for two namespaces (scope.namespaces) with
// Roles only, in a release namespace of its own, and runs the real binary with the token of
// the chart's ServiceAccount and exactly the chart's arguments. Ferry syncs and restarts a
// workload in each served namespace without one forbidden request. Outside them the API
// server, not Ferry, draws the line: the ServiceAccount's own requests to a third namespace
// are refused, and a Ferry started under that identity with the third namespace added to
// --namespaces (so that none of Ferry's own checks stand in the way) is refused there too.
func TestHelmInstallNamespaces(t *testing.T) {
	needControlPlane(t)
	const ops, outside = "ferry-ops", "team-z"
	served := []string{"team-x", "team-y"}
	installCRDs(t)
	ensureNamespace(t, ops, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	for _, ns := range append(slices.Clone(served), outside) {
		ensureNamespace(t, ns, nil)
	}
	if out, err := helm("install", "ferry", chartDir, "--namespace", ops, "--set", "scope.namespaces={team-y,team-x}",
		"--set", "webhook.enabled=false", "--set", "crds.install=false"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Cleanup(func() { uninstall(t, "ferry", ops) })
	objs := releaseObjects(t, ops)
	for _, o := range objs {
		if o.GetNamespace() == "" {
			t.Errorf("the release holds the cluster-scoped %s %s; namespaced mode must use Roles only", o.GetKind(), o.GetName())
		}
		if o.GetKind() == "Role" && o.GetNamespace() == outside {
			t.Errorf("the release grants a Role in %s, which is not listed", outside)
		}
	}
	assertInstalled(t, objs)

	kubeconfig, saConfig := serviceAccountKubeconfig(t, ops, "ferry")
	args := deploymentArgs(t, objs)
	wantArgs(t, args, "--namespaces=team-x,team-y")
	ports := freePorts(t, 4)
	logPath := startFerry(t, kubeconfig, ops, append(slices.Clone(args),
		"--metrics-bind-address=127.0.0.1:"+ports[0], "--health-probe-bind-address=127.0.0.1:"+ports[1]))
	waitHTTP(t, "http://127.0.0.1:"+ports[1]+"/readyz")
	for _, ns := range served {
		mustSyncAndRestart(t, ns)
	}
	assertNoForbidden(t, logPath)

	saClient, err := client.New(saConfig, client.Options{Scheme: cp.client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	assertRefusedOutside(t, saClient, outside)

	// The same identity, told to serve the third namespace as well: the API server refuses
	// every read there, whatever Ferry asks for.
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: outside, Name: "db"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "store"},
		Data:           []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db-password"}}},
	}})
	widened := slices.DeleteFunc(slices.Clone(args), func(a string) bool { return strings.HasPrefix(a, "--namespaces=") })
	widenedLog, stop := runFerry(t, kubeconfig, ops, append(widened, "--namespaces=team-x,team-y,"+outside, "--leader-elect=false",
		"--metrics-bind-address=127.0.0.1:"+ports[2], "--health-probe-bind-address=127.0.0.1:"+ports[3]))
	t.Cleanup(stop)
	testenv.Eventually(t, 60*time.Second, "the API server refuses Ferry in "+outside, func() (bool, error) {
		b, err := os.ReadFile(widenedLog)
		return strings.Contains(string(b), "is forbidden") && strings.Contains(string(b), `in the namespace \"`+outside+`\"`), err
	})
	err = cp.client.Get(context.Background(), client.ObjectKey{Namespace: outside, Name: "db"}, &corev1.Secret{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("Secret %s/db: %v, want not found: nothing may be written outside the listed namespaces", outside, err)
	}
}

// mustSyncAndRestart syncs a value into namespace and changes it, and checks that the Secret
// follows and that an opted-in workload restarts.
func mustSyncAndRestart(t *testing.T, namespace string) {
	t.Helper()
	store := fakeStore(namespace, "store", "db-password", "v1-"+namespace)
	mustCreate(t, store)
	mustCreate(t, &esv1.ExternalSecret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "db"}, Spec: esv1.ExternalSecretSpec{
		SecretStoreRef: esv1.SecretStoreRef{Name: "store"}, RefreshInterval: esv1.NewDuration(time.Hour),
		Data: []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db-password"}}},
	}})
	waitSecret(t, namespace, "db", "password", "v1-"+namespace)
	mustCreate(t, workload(namespace, "api", "db"))
	waitLastDigests(t, namespace, "api")
	setFakeValue(t, store, "db-password", "v2-"+namespace)
	forceSync(t, namespace, "db")
	waitSecret(t, namespace, "db", "password", "v2-"+namespace)
	waitRestarted(t, namespace, "api")
}

// assertRefusedOutside sends, as the chart's ServiceAccount, the requests Ferry makes in a
// namespace it serves to one it does not, and to the whole cluster: the API server must
// answer each with 403 Forbidden.
func assertRefusedOutside(t *testing.T, sa client.Client, namespace string) {
	t.Helper()
	ctx := context.Background()
	patch := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"x":"y"}}}`))
	requests := map[string]func() error{
		"get a Secret": func() error {
			return sa.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "db"}, &corev1.Secret{})
		},
		"list Secrets":            func() error { return sa.List(ctx, &corev1.SecretList{}, client.InNamespace(namespace)) },
		"list Secrets everywhere": func() error { return sa.List(ctx, &corev1.SecretList{}) },
		"create a Secret": func() error {
			return sa.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "planted"}})
		},
		"list ExternalSecrets": func() error { return sa.List(ctx, &esv1.ExternalSecretList{}, client.InNamespace(namespace)) },
		"list ConfigMaps":      func() error { return sa.List(ctx, &corev1.ConfigMapList{}, client.InNamespace(namespace)) },
		"patch a Deployment": func() error {
			return sa.Patch(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "api"}}, patch)
		},
		"request a ServiceAccount token": func() error {
			return sa.SubResource("token").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "default"}},
				&authv1.TokenRequest{})
		},
	}
	for what, do := range requests {
		if err := do(); !apierrors.IsForbidden(err) {
			t.Errorf("%s in %s as Ferry's ServiceAccount: %v, want 403 Forbidden from the API server", what, namespace, err)
		}
	}
}
