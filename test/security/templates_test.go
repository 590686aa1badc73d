package security

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/template"
	"github.com/ferryhq/ferry/internal/testenv"
)

// escapes are templates that would reach past the fetched values: the operator's
// environment (which holds its cloud credentials), files (its ServiceAccount token), DNS,
// the cluster (Helm's lookup), or text evaluated as a template at run time.
var escapes = map[string]string{
	"env":           `{{ env "AWS_SECRET_ACCESS_KEY" }}`,
	"expandenv":     `{{ expandenv "$AWS_SECRET_ACCESS_KEY" }}`,
	"getHostByName": `{{ getHostByName "kubernetes.default.svc" }}`,
	"readFile":      `{{ readFile "/var/run/secrets/kubernetes.io/serviceaccount/token" }}`,
	"lookup":        `{{ lookup "v1" "Secret" "kube-system" "" }}`,
	"include":       `{{ include "other" . }}`,
	"tpl":           `{{ tpl "{{ env \"HOME\" }}" . }}`,
	"requiredEnv":   `{{ requiredEnv "HOME" }}`,
}

// TestTemplatesCannotEscape: none of these functions exists in either engine.
func TestTemplatesCannotEscape(t *testing.T) {
	for _, engine := range []template.Engine{template.EngineV1, template.EngineV2} {
		for fn, text := range escapes {
			err := template.Check(engine, "t", text)
			if err == nil || !strings.Contains(err.Error(), `function "`+fn+`" not defined`) {
				t.Errorf("engine %s: %s: Check = %v, want function %q not defined", engine, text, err, fn)
			}
		}
	}
}

// TestTemplateEscapesAreRefused: an ExternalSecret that tries is refused as written
// (InvalidSpec, naming the key and the function), and so is one that asks for a
// ServiceAccount token Secret, which the token controller would fill with a token for any
// ServiceAccount of the namespace.
func TestTemplateEscapesAreRefused(t *testing.T) {
	ns := testenv.Namespace(t, k8s, nil)
	fakeStore(t, ns, "store", nil, "k", "v")
	i := 0
	want := map[string]string{}
	for fn, text := range escapes {
		i++
		name := "escape-" + strings.ToLower(fn)
		es := externalSecret(ns, name, esv1.SecretStoreRef{Name: "store"}, "k")
		es.Spec.Target.Template = &esv1.ExternalSecretTemplate{Data: map[string]string{"out": text}}
		create(t, es)
		want[name] = `spec.target.template.data[out]: template: out:1: function "` + fn + `" not defined`
	}
	token := externalSecret(ns, "token", esv1.SecretStoreRef{Name: "store"}, "k")
	token.Spec.Target.Template = &esv1.ExternalSecretTemplate{Type: corev1.SecretTypeServiceAccountToken,
		Metadata: esv1.ExternalSecretTemplateMetadata{Annotations: map[string]string{corev1.ServiceAccountNameKey: "default"}}}
	create(t, token)
	want["token"] = "spec.target.template.type: kubernetes.io/service-account-token Secrets cannot be managed by Ferry"
	for name, w := range want {
		msg := waitFailed(t, ns, name)
		if !strings.HasPrefix(msg, esv1.ReasonInvalidSpec+": ") || !strings.Contains(msg, w) {
			t.Errorf("%s: condition = %q, want InvalidSpec: %s", name, msg, w)
		}
		assertNoSecret(t, ns, name)
	}
}
