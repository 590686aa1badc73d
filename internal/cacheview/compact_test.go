package cacheview

import (
	"fmt"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

func managedSecret(ns, name string, labels map[string]string) *corev1.Secret {
	yes := true
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels,
			Annotations:     map[string]string{"reconcile.external-secrets.io/data-hash": "h-" + name, corev1.LastAppliedConfigAnnotation: "{}"},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "ferry"}},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "external-secrets.io/v1", Kind: "ExternalSecret", Name: name, Controller: &yes}}},
		Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"password": []byte("v-" + name)},
	}
}

func sameMap(a, b map[string]string) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// TestCompactorSharesWhatRepeats: Secrets with equal labels share one label map, and
// what Ferry reads of them is unchanged; what differs stays their own.
func TestCompactorSharesWhatRepeats(t *testing.T) {
	c := NewCompactor()
	var secrets []*corev1.Secret
	for i := range 3 {
		s := managedSecret("team-a", fmt.Sprint("app-", i), map[string]string{"reconcile.external-secrets.io/managed": "true", "app": "web"})
		if _, err := c.Transform(s); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, s)
	}
	other := managedSecret("team-a", "other", map[string]string{"reconcile.external-secrets.io/managed": "true", "app": "db"})
	if _, err := c.Transform(other); err != nil {
		t.Fatal(err)
	}
	if !sameMap(secrets[0].Labels, secrets[1].Labels) || !sameMap(secrets[0].Labels, secrets[2].Labels) {
		t.Error("Secrets with equal labels hold a label map each")
	}
	if sameMap(secrets[0].Labels, other.Labels) || other.Labels["app"] != "db" {
		t.Errorf("a Secret of other labels shares them: %v", other.Labels)
	}
	for i, s := range secrets {
		name := fmt.Sprint("app-", i)
		want := managedSecret("team-a", name, map[string]string{"reconcile.external-secrets.io/managed": "true", "app": "web"})
		want.ManagedFields = nil // nothing reads them
		if !reflect.DeepEqual(s, want) {
			t.Errorf("%s after Transform = %+v, want %+v", name, s, want)
		}
	}
}

// TestCompactorTrimsExternalSecrets: an ExternalSecret loses kubectl's copy of its manifest
// and its managed fields, and nothing else.
func TestCompactorTrimsExternalSecrets(t *testing.T) {
	es := &esv1.ExternalSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "app", Labels: map[string]string{"app": "web"},
			Annotations:   map[string]string{corev1.LastAppliedConfigAnnotation: "{}", "owner": "platform"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}},
		Spec: esv1.ExternalSecretSpec{
			SecretStoreRef: esv1.SecretStoreRef{Name: "aws", Kind: esv1.ClusterSecretStoreKind},
			Data:           []esv1.ExternalSecretData{{SecretKey: "password", RemoteRef: esv1.ExternalSecretDataRemoteRef{Key: "db", Property: "password"}}},
		},
		Status: esv1.ExternalSecretStatus{Conditions: []esv1.ExternalSecretStatusCondition{
			{Type: esv1.ExternalSecretReady, Status: corev1.ConditionFalse, Reason: "SecretSyncedError", Message: "reading db: access denied"}}},
	}
	want := es.DeepCopy()
	delete(want.Annotations, corev1.LastAppliedConfigAnnotation)
	want.ManagedFields = nil
	if _, err := NewCompactor().Transform(es); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(es, want) {
		t.Errorf("after Transform = %+v, want %+v", es, want)
	}
}

// TestCompactorIsBounded: past its bounds the Compactor shares only what it holds.
func TestCompactorIsBounded(t *testing.T) {
	c := NewCompactor()
	for i := range maxLabelSets + 10 {
		s := managedSecret("ns", "s", map[string]string{"n": fmt.Sprint(i)})
		if _, err := c.Transform(s); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.labelSets) != maxLabelSets {
		t.Errorf("%d label sets held, want at most %d", len(c.labelSets), maxLabelSets)
	}
	for i := range maxStrings + 10 {
		c.mu.Lock()
		c.str(fmt.Sprint("s-", i))
		c.mu.Unlock()
	}
	if len(c.strings) != maxStrings {
		t.Errorf("%d strings held, want at most %d", len(c.strings), maxStrings)
	}
}
