package pushsecret_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/testenv"
)

// TestTemplateFromShapesThePushedValues: spec.template.templateFrom (a ConfigMap of the
// PushSecret's namespace) and template.data both shape what is pushed; a ConfigMap that
// does not exist is InvalidSpec naming spec.template.templateFrom[0].
func TestTemplateFromShapesThePushedValues(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	sm := secretsManager(t)
	awsStore(t, ns)
	create(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "source"},
		Data: map[string][]byte{"user": []byte("admin"), "pass": []byte("pa55")}})
	create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tmpl"},
		Data: map[string]string{"dsn": "postgres://{{ .user }}:{{ .pass }}@db:5432"}})

	ps := pushSecret(ns, "shaped", "aws", esv1alpha1.PushSecretDeletionPolicyNone,
		entry("dsn", ns+"/dsn", ""), entry("who", ns+"/who", ""))
	ps.Spec.Template = &esv1.ExternalSecretTemplate{
		EngineVersion: esv1.TemplateEngineV2,
		Data:          map[string]string{"who": "{{ .user | upper }}"},
		TemplateFrom:  []esv1.TemplateFrom{{ConfigMap: &esv1.TemplateRef{Name: "tmpl", Items: []esv1.TemplateRefItem{{Key: "dsn"}}}}},
		Metadata:      esv1.ExternalSecretTemplateMetadata{Labels: map[string]string{"team": "{{ .user }}"}},
	}
	create(t, ps)
	waitPushReady(t, ps, metav1.ConditionTrue)
	for name, want := range map[string]string{ns + "/dsn": "postgres://admin:pa55@db:5432", ns + "/who": "ADMIN"} {
		if got, _ := remoteValue(t, sm, name); got != want {
			t.Errorf("remote %s = %q, want %q", name, got, want)
		}
	}

	missing := pushSecret(ns, "missing", "aws", esv1alpha1.PushSecretDeletionPolicyNone, entry("dsn", ns+"/other", ""))
	missing.Spec.Template = &esv1.ExternalSecretTemplate{
		TemplateFrom: []esv1.TemplateFrom{{ConfigMap: &esv1.TemplateRef{Name: "nowhere", Items: []esv1.TemplateRefItem{{Key: "dsn"}}}}}}
	create(t, missing)
	msg := waitPushReady(t, missing, metav1.ConditionFalse)
	if reason := missing.Status.Conditions[0].Reason; reason != esv1.ReasonInvalidSpec ||
		!strings.Contains(msg, "spec.template.templateFrom[0]: ConfigMap nowhere not found") {
		t.Errorf("Ready %s: %q, want InvalidSpec naming spec.template.templateFrom[0]", reason, msg)
	}
}
