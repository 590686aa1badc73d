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

func TestTemplates(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", "db", `{"user":"app","password":"`+dbPass+`","host":"db.internal"}`)
	newES := func(name string, tmpl *esv1.ExternalSecretTemplate) *esv1.ExternalSecret {
		es := externalSecret(ns, name, "store", time.Hour)
		es.Spec.DataFrom = []esv1.ExternalSecretDataFromRemoteRef{{Extract: &esv1.ExternalSecretDataRemoteRef{Key: "db"}}}
		es.Spec.Target.Template = tmpl
		create(t, es)
		return es
	}

	t.Run("data replaces the fetched keys", func(t *testing.T) {
		newES("replace", &esv1.ExternalSecretTemplate{
			Type: corev1.SecretTypeOpaque,
			Data: map[string]string{
				"dsn":  "postgres://{{ .user }}:{{ .password }}@{{ .host | upper }}/app",
				"user": "{{ .user | b64enc }}",
			},
			Metadata: esv1.ExternalSecretTemplateMetadata{Labels: map[string]string{"team": "{{ .user }}-team"}},
		})
		secret := waitSecretData(t, ns, "replace", map[string]string{
			"dsn": "postgres://app:" + dbPass + "@DB.INTERNAL/app", "user": "YXBw",
		})
		if secret.Labels["team"] != "app-team" {
			t.Errorf("templated label = %q, want app-team", secret.Labels["team"])
		}
	})
	t.Run("merge keeps the fetched keys", func(t *testing.T) {
		newES("merge", &esv1.ExternalSecretTemplate{MergePolicy: esv1.MergePolicyMerge,
			Data: map[string]string{"url": "https://{{ .host }}"}})
		waitSecretData(t, ns, "merge", map[string]string{
			"user": "app", "password": dbPass, "host": "db.internal", "url": "https://db.internal",
		})
	})
	t.Run("templateFrom a ConfigMap, a literal, and annotations", func(t *testing.T) {
		create(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "tpl"}, Data: map[string]string{
			"config.yaml": "db:\n  host: {{ .host }}\n",
			"pairs":       "USER: \"{{ .user }}\"\nHOST: \"{{ .host }}\"\n",
			"notes":       "owner: \"{{ .user }}\"\n",
		}})
		literal := "LITERAL: \"{{ .user | upper }}\"\n"
		newES("from", &esv1.ExternalSecretTemplate{TemplateFrom: []esv1.TemplateFrom{
			{ConfigMap: &esv1.TemplateRef{Name: "tpl", Items: []esv1.TemplateRefItem{
				{Key: "config.yaml", TemplateAs: esv1.TemplateScopeValues},
				{Key: "pairs", TemplateAs: esv1.TemplateScopeKeysAndValues},
			}}},
			{Literal: &literal},
			{ConfigMap: &esv1.TemplateRef{Name: "tpl", Items: []esv1.TemplateRefItem{{Key: "notes", TemplateAs: esv1.TemplateScopeKeysAndValues}}},
				Target: esv1.TemplateTargetAnnotations},
		}})
		secret := waitSecretData(t, ns, "from", map[string]string{
			"config.yaml": "db:\n  host: db.internal\n", "USER": "app", "HOST": "db.internal", "LITERAL": "APP",
		})
		if secret.Annotations["owner"] != "app" {
			t.Errorf("annotation from templateFrom = %q, want app", secret.Annotations["owner"])
		}
	})
	t.Run("an error names the key and line, not the value", func(t *testing.T) {
		es := newES("broken", &esv1.ExternalSecretTemplate{Data: map[string]string{
			"cfg": "first line {{ .password }}\n{{ .nosuchkey }}\n",
		}})
		msg := waitReady(t, es, corev1.ConditionFalse, esv1.ReasonSecretSyncedError)
		if !strings.Contains(msg, "cfg:2") {
			t.Errorf("message %q does not name the template key and line", msg)
		}
		if strings.Contains(msg, dbPass) {
			t.Errorf("message quotes the secret value")
		}
		assertNoSecret(t, ns, "broken")
	})
}
