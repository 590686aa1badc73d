package externalsecret_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/controller/externalsecret"
	"github.com/ferryhq/ferry/internal/fetch"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
	"github.com/ferryhq/ferry/internal/testenv"
)

// Widgets are installed before the operator starts; Gadgets are allowed but installed by
// the test that needs them, after.
var (
	widgetGVK = schema.GroupVersionKind{Group: "ferry.test", Version: "v1", Kind: "Widget"}
	gadgetGVK = schema.GroupVersionKind{Group: "ferry.test", Version: "v1", Kind: "Gadget"}
)

// testCRD is a namespaced kind with a free-form spec and a string map at data.
func testCRD(gvk schema.GroupVersionKind) *apiextensionsv1.CustomResourceDefinition {
	plural := strings.ToLower(gvk.Kind) + "s"
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + gvk.Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: gvk.Group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural, Kind: gvk.Kind},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: gvk.Version, Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", XPreserveUnknownFields: new(true)},
						"data": {Type: "object", AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{
							Schema: &apiextensionsv1.JSONSchemaProps{Type: "string"}}},
					},
				}},
			}},
		},
	}
}

func installCRD(cp *testenv.ControlPlane, gvk schema.GroupVersionKind) error {
	_, err := envtest.InstallCRDs(cp.Config, envtest.CRDInstallOptions{
		CRDs: []*apiextensionsv1.CustomResourceDefinition{testCRD(gvk)}, MaxTime: 30 * time.Second})
	return err
}

func installWidgetCRD(cp *testenv.ControlPlane) {
	if err := installCRD(cp, widgetGVK); err != nil {
		panic(fmt.Sprintf("installing the Widget CRD: %v", err))
	}
}

func genericES(ns, name, store string, apiVersion, kind string) *esv1.ExternalSecret {
	es := externalSecret(ns, name, store, time.Second)
	es.Spec.Target.Manifest = &esv1.ManifestReference{APIVersion: apiVersion, Kind: kind}
	return es
}

// getObject reads a target of any kind; nil when it does not exist.
func getObject(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(gvk)
	err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// waitField waits until the object holds want (compared as printed) at path.
func waitField(t *testing.T, gvk schema.GroupVersionKind, ns, name string, want any, path ...string) *unstructured.Unstructured {
	t.Helper()
	var obj *unstructured.Unstructured
	testenv.Eventually(t, 20*time.Second, fmt.Sprintf("%s %s .%s", gvk.Kind, name, strings.Join(path, ".")), func() (bool, error) {
		obj = getObject(t, gvk, ns, name)
		if obj == nil {
			return false, fmt.Errorf("%s %s does not exist", gvk.Kind, name)
		}
		got, _, _ := unstructured.NestedFieldNoCopy(obj.Object, path...)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return false, fmt.Errorf("holds %d fields there", len(fmt.Sprint(got)))
		}
		return true, nil
	})
	return obj
}

var configMapGVK = corev1.SchemeGroupVersion.WithKind("ConfigMap")

func TestGenericTargetConfigMap(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	store := fakeStore(t, ns, "store", "host", "db.internal", "password", dbPass)
	es := genericES(ns, "settings", "store", "v1", "ConfigMap")
	es.Spec.Target.Name = "app-config"
	es.Spec.Target.DeletionPolicy = esv1.DeletionPolicyDelete
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("host", "host", ""), dataRef("password", "password", "")}
	create(t, es)

	cm := waitField(t, configMapGVK, ns, "app-config", map[string]any{"host": "db.internal", "password": dbPass}, "data")
	if owner := metav1.GetControllerOf(cm); owner == nil || owner.Kind != "ExternalSecret" || owner.Name != "settings" {
		t.Errorf("owner %+v, want the ExternalSecret settings as controller", owner)
	}
	if cm.GetLabels()[esv1.LabelManaged] != esv1.LabelManagedValue {
		t.Errorf("labels %v lack %s", cm.GetLabels(), esv1.LabelManaged)
	}
	msg := waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	if !strings.Contains(msg, "ConfigMap") {
		t.Errorf("Ready message %q does not name the kind written", msg)
	}
	if es.Status.Binding.Name != "app-config" {
		t.Errorf("binding %q, want app-config", es.Status.Binding.Name)
	}

	t.Run("provider change", func(t *testing.T) {
		update(t, store, func(s *esv1.SecretStore) {
			s.Spec.Provider.Fake.Data = fakeData("host", "db2.internal", "password", dbPass)
		})
		waitField(t, configMapGVK, ns, "app-config", map[string]any{"host": "db2.internal", "password": dbPass}, "data")
	})

	t.Run("drift repaired", func(t *testing.T) {
		// Hourly: the repair follows the watch on ConfigMaps, not a refresh.
		hourly := genericES(ns, "hourly", "store", "v1", "ConfigMap")
		hourly.Spec.RefreshInterval = esv1.NewDuration(time.Hour)
		hourly.Spec.Data = []esv1.ExternalSecretData{dataRef("host", "host", "")}
		create(t, hourly)
		waitField(t, configMapGVK, ns, "hourly", map[string]any{"host": "db2.internal"}, "data")
		waitReady(t, hourly, corev1.ConditionTrue, esv1.ReasonSecretSynced)
		live := getObject(t, configMapGVK, ns, "hourly")
		if err := unstructured.SetNestedField(live.Object, "edited", "data", "host"); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Update(context.Background(), live); err != nil {
			t.Fatal(err)
		}
		waitField(t, configMapGVK, ns, "hourly", map[string]any{"host": "db2.internal"}, "data")

		live = getObject(t, configMapGVK, ns, "app-config")
		if err := unstructured.SetNestedField(live.Object, "edited", "data", "host"); err != nil {
			t.Fatal(err)
		}
		if err := unstructured.SetNestedField(live.Object, "added", "data", "extra"); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Update(context.Background(), live); err != nil {
			t.Fatal(err)
		}
		waitField(t, configMapGVK, ns, "app-config", map[string]any{"host": "db2.internal", "password": dbPass}, "data")
	})

	t.Run("deletionPolicy Delete", func(t *testing.T) {
		update(t, store, func(s *esv1.SecretStore) { s.Spec.Provider.Fake.Data = fakeData("other", "x") })
		msg := waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretDeleted)
		if !strings.Contains(msg, "ConfigMap") {
			t.Errorf("message %q does not name the kind deleted", msg)
		}
		if obj := getObject(t, configMapGVK, ns, "app-config"); obj != nil {
			t.Errorf("ConfigMap app-config still exists: %v", obj.Object["data"] != nil)
		}
	})

	if strings.Contains(strings.Join(eventNotes(t, ns), "\n"), dbPass) {
		t.Error("an event carries a value")
	}
	if strings.Contains(logs.String(), dbPass) {
		t.Error("a log line carries a value")
	}
}

func TestGenericTargetCustomResource(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", "host", "db.internal", "port", "5432", "user", "app")
	es := genericES(ns, "widget", "store", widgetGVK.GroupVersion().String(), widgetGVK.Kind)
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("host", "host", ""), dataRef("port", "port", ""), dataRef("user", "user", "")}
	es.Spec.Target.Template = &esv1.ExternalSecretTemplate{
		Metadata: esv1.ExternalSecretTemplateMetadata{Labels: map[string]string{"team": "payments"}},
		Data:     map[string]string{"dsn": "postgres://{{ .user }}@{{ .host }}:{{ .port }}"},
		TemplateFrom: []esv1.TemplateFrom{
			{Literal: new("host: {{ .host }}\nport: {{ .port }}\npool:\n  size: 5\n"), Target: "spec.database"},
			{Literal: new("level: info\n"), Target: "spec.logging"},
		},
	}
	create(t, es)

	widget := waitField(t, widgetGVK, ns, "widget", map[string]any{"host": "db.internal", "port": int64(5432), "pool": map[string]any{"size": int64(5)}},
		"spec", "database")
	if level, _, _ := unstructured.NestedString(widget.Object, "spec", "logging", "level"); level != "info" {
		t.Errorf("spec.logging.level = %q, want info", level)
	}
	if dsn, _, _ := unstructured.NestedString(widget.Object, "data", "dsn"); dsn != "postgres://app@db.internal:5432" {
		t.Errorf("data.dsn = %q", dsn)
	}
	if widget.GetLabels()["team"] != "payments" || widget.GetLabels()[esv1.LabelManaged] != esv1.LabelManagedValue {
		t.Errorf("labels %v", widget.GetLabels())
	}
	if owner := metav1.GetControllerOf(widget); owner == nil || owner.Name != "widget" {
		t.Errorf("owner %+v", owner)
	}
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)

	// A field Ferry does not write is kept; one it wrote and someone changed is repaired.
	if err := unstructured.SetNestedField(widget.Object, "mine", "spec", "note"); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(widget.Object, "debug", "spec", "logging", "level"); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Update(context.Background(), widget); err != nil {
		t.Fatal(err)
	}
	widget = waitField(t, widgetGVK, ns, "widget", map[string]any{"level": "info"}, "spec", "logging")
	if note, _, _ := unstructured.NestedString(widget.Object, "spec", "note"); note != "mine" {
		t.Errorf("spec.note = %q: a field Ferry does not write was changed", note)
	}
}

func TestGenericTargetKindNotAllowed(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", "k", "v")
	es := genericES(ns, "sa", "store", "v1", "ServiceAccount")
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
	create(t, es)

	msg := waitReady(t, es, corev1.ConditionFalse, "TargetKindNotAllowed")
	if !strings.Contains(msg, "ServiceAccount") || !strings.Contains(msg, "--generic-target-kinds") {
		t.Errorf("message %q does not name the kind and the flag", msg)
	}
	if getObject(t, corev1.SchemeGroupVersion.WithKind("ServiceAccount"), ns, "sa") != nil {
		t.Error("a ServiceAccount was created")
	}
	if !slices.ContainsFunc(eventNotes(t, ns), func(n string) bool { return strings.HasPrefix(n, "TargetKindNotAllowed: ") }) {
		t.Errorf("no TargetKindNotAllowed event: %v", eventNotes(t, ns))
	}
}

func TestGenericTargetKindInstalledLater(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", "k", "v")
	es := genericES(ns, "gadget", "store", gadgetGVK.GroupVersion().String(), gadgetGVK.Kind)
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
	create(t, es)

	msg := waitReady(t, es, corev1.ConditionFalse, "TargetKindNotInstalled")
	if !strings.Contains(msg, "Gadget") || !strings.Contains(msg, "CustomResourceDefinition") {
		t.Errorf("message %q does not say which kind is missing", msg)
	}

	if err := installCRD(controlPlane, gadgetGVK); err != nil {
		t.Fatal(err)
	}
	waitField(t, gadgetGVK, ns, "gadget", map[string]any{"k": "v"}, "spec", "data")
	waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
}

// TestGenericTargetsDisabled runs a reconciler of its own, with generic targets off as they
// are by default, on an ExternalSecret whose store's controller class the package's
// operator does not serve.
func TestGenericTargetsDisabled(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	const class = "generic-off"
	store := &esv1.SecretStore{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "store"},
		Spec: esv1.SecretStoreSpec{Controller: class, Provider: &esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{Data: fakeData("k", apiKey)}}}}
	create(t, store)
	store.Status.Conditions = []esv1.SecretStoreStatusCondition{{Type: esv1.SecretStoreReady, Status: metav1.ConditionTrue,
		Reason: esv1.ReasonStoreValid, LastTransitionTime: metav1.Now()}}
	if err := k8s.Status().Update(context.Background(), store); err != nil {
		t.Fatal(err)
	}
	es := genericES(ns, "off", "store", "v1", "ConfigMap")
	es.Spec.Data = []esv1.ExternalSecretData{dataRef("k", "k", "")}
	create(t, es)

	recorder := events.NewFakeRecorder(10)
	r := &externalsecret.Reconciler{Client: k8s, APIReader: k8s, ControllerClass: class, Recorder: recorder,
		Fetcher: fetch.New(provider.NewRegistry(fake.New()), nil, fetch.Options{})}
	if _, err := r.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(es)}); err != nil {
		t.Fatal(err)
	}

	msg := waitReady(t, es, corev1.ConditionFalse, "GenericTargetsDisabled")
	if !strings.Contains(msg, "--unsafe-allow-generic-targets") || !strings.Contains(msg, "ConfigMap") {
		t.Errorf("message %q does not say how to enable generic targets", msg)
	}
	select {
	case e := <-recorder.Events:
		if !strings.Contains(e, "GenericTargetsDisabled") {
			t.Errorf("event %q", e)
		}
	default:
		t.Error("no event")
	}
	if getObject(t, configMapGVK, ns, "off") != nil {
		t.Error("a ConfigMap was created with generic targets disabled")
	}
}
