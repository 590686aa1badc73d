package externalsecret_test

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestGenericTargetCreationPolicies checks a ConfigMap target under each creationPolicy
// that does not own it, as for Secrets: Orphan creates it without an owner; Merge refuses to
// create a missing one (SecretMissing naming it) and, once it exists, writes its keys into it
// keeping the others; None reads the provider and writes nothing.
func TestGenericTargetCreationPolicies(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", "host", "db.internal")
	newES := func(name string, policy esv1.ExternalSecretCreationPolicy) *esv1.ExternalSecret {
		es := genericES(ns, name, "store", "v1", "ConfigMap")
		es.Spec.RefreshInterval = esv1.NewDuration(time.Hour)
		es.Spec.Target.CreationPolicy = policy
		es.Spec.Data = []esv1.ExternalSecretData{dataRef("host", "host", "")}
		return es
	}

	t.Run("Orphan", func(t *testing.T) {
		es := newES("orphan", esv1.CreatePolicyOrphan)
		create(t, es)
		cm := waitField(t, configMapGVK, ns, "orphan", map[string]any{"host": "db.internal"}, "data")
		if owners := cm.GetOwnerReferences(); len(owners) != 0 {
			t.Errorf("an Orphan ConfigMap has owner references %v", owners)
		}
		waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	})
	t.Run("Merge", func(t *testing.T) {
		es := newES("merge", esv1.CreatePolicyMerge)
		create(t, es)
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonSecretMissing)
		if !strings.Contains(msg, "merge") || !strings.Contains(msg, "ConfigMap") {
			t.Errorf("message %q does not name the missing ConfigMap", msg)
		}
		if getObject(t, configMapGVK, ns, "merge") != nil {
			t.Fatal("Merge created the ConfigMap")
		}

		create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "merge"},
			Data: map[string]string{"own": "kept", "host": "old.internal"}})
		update(t, es, func(es *esv1.ExternalSecret) { es.Annotations = map[string]string{esv1.AnnotationForceSync: "1"} })
		cm := waitField(t, configMapGVK, ns, "merge", map[string]any{"host": "db.internal", "own": "kept"}, "data")
		if owners := cm.GetOwnerReferences(); len(owners) != 0 {
			t.Errorf("a merged ConfigMap has owner references %v", owners)
		}
		waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
	})
	t.Run("None", func(t *testing.T) {
		es := newES("none", esv1.CreatePolicyNone)
		create(t, es)
		waitReady(t, es, corev1.ConditionTrue, esv1.ReasonSecretSynced)
		if getObject(t, configMapGVK, ns, "none") != nil {
			t.Error("creationPolicy None wrote a ConfigMap")
		}
	})
}
