package fuzz

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	esv1alpha1 "github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
	"github.com/ferryhq/ferry/internal/builtin"
	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/webhook"
)

var admissionKinds = []string{esv1.ExtSecretKind, esv1.SecretStoreKind, esv1.ClusterSecretStoreKind,
	esv1alpha1.PushSecretKind, esv1alpha1.ClusterPushSecretKind}

// admissionBody wraps object in an AdmissionReview for kind; an object that is not JSON goes
// in as a string, which is malformed too. With raw, object is the whole body.
func admissionBody(kind string, object []byte, update, raw bool) []byte {
	if raw {
		return object
	}
	if !json.Valid(object) {
		object, _ = json.Marshal(string(object))
	}
	operation := "CREATE"
	if update {
		operation = "UPDATE"
	}
	review := map[string]any{
		"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
		"request": map[string]any{
			"uid": "fuzz", "operation": operation, "namespace": "ns",
			"kind":   map[string]string{"group": esv1.Group, "version": esv1.Version, "kind": kind},
			"object": json.RawMessage(object), "oldObject": json.RawMessage(object),
		},
	}
	b, _ := json.Marshal(review)
	return b
}

// FuzzAdmissionReview sends fuzzed admission requests to Ferry's validating webhooks, as they
// are served (the same handlers, behind the same limits): bodies that are not JSON, not an
// AdmissionReview, or a review whose object is any JSON at all — wrong types, missing and
// unknown fields, huge numbers, deep nesting, every provider at once. Each must get an
// AdmissionReview answer; none may panic (controller-runtime turns a panic into a 500 answer,
// which counts as a failure here) or be allowed without being an object of the kind.
func FuzzAdmissionReview(f *testing.F) {
	hooks := webhook.Validators(operator.Scheme(), builtinProviders())
	handlers := make([]http.Handler, len(admissionKinds))
	for i, kind := range admissionKinds {
		handlers[i] = webhook.Limit(hooks[webhook.ValidatePath(kind)], webhook.AdmissionLimits)
	}
	seeds := []string{
		`{"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","metadata":{"name":"a"},"spec":{"secretStoreRef":{"name":"s"},"data":[{"secretKey":"k","remoteRef":{"key":"k"}}]}}`,
		`{"apiVersion":"external-secrets.io/v1","kind":"SecretStore","metadata":{"name":"a"},"spec":{"provider":{"fake":{"data":[{"key":"k","value":"v"}]}}}}`,
		`{"apiVersion":"external-secrets.io/v1","kind":"ClusterSecretStore","metadata":{"name":"a"},"spec":{"provider":{"aws":{"service":"SecretsManager","region":"eu-west-1","auth":{"secretRef":{"accessKeyIDSecretRef":{"name":"x","key":"k"}}}}}}}`,
		`{"apiVersion":"external-secrets.io/v1alpha1","kind":"PushSecret","metadata":{"name":"a"},"spec":{"secretStoreRefs":[{"labelSelector":{"matchExpressions":[{"key":"k","operator":"Bogus"}]}}],"selector":{},"dataTo":[{"match":{"regexp":"(x"},"rewrite":[{"regexp":{"source":"["}},{"transform":{"template":"{{"}}]}]}}`,
		`{"spec":{"pushSecretSpec":{"selector":{"secret":{"selector":{"matchLabels":{"":""}}}},"template":{"data":{"k":"{{ .x"}}}}}}`,
		`{"spec":{"refreshInterval":5,"data":"x","dataFrom":[null,{}],"target":{"template":{"data":{"k":"{{ .x"}}}}}`,
		`{"spec":{"provider":{"vault":{"server":"","auth":{}},"aws":{},"fake":null}}}`,
		`{"spec":{"provider":{"webhook":{"url":"http://[::1","result":{"jsonPath":"$["}}}}}`,
		`{"metadata":{"name":1e400},"spec":[]}`,
		`null`, `[]`, `"x"`, `{`, "\xff\xfe", strings.Repeat("[", 10000),
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s), i%2 == 0, false)
	}
	f.Add(uint8(0), []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null}`), false, true)
	f.Add(uint8(1), []byte(`{"kind":"AdmissionReview","request":{"uid":"1","object":"not an object"}}`), false, true)
	f.Add(uint8(2), []byte{}, false, true)
	f.Fuzz(func(t *testing.T, which uint8, object []byte, update, raw bool) {
		kind := admissionKinds[int(which)%len(admissionKinds)]
		req := httptest.NewRequest(http.MethodPost, webhook.ValidatePath(kind), bytes.NewReader(admissionBody(kind, object, update, raw)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handlers[int(which)%len(admissionKinds)].ServeHTTP(rec, req)

		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil {
			t.Fatalf("HTTP %d with no AdmissionReview answer: %v: %.200q", rec.Code, err, rec.Body.String())
		}
		r := review.Response
		if r.Result != nil && r.Result.Code >= 500 {
			t.Fatalf("%s: answered %d: %s", kind, r.Result.Code, r.Result.Message)
		}
		if r.Allowed && !isObjectOf(object, kind, raw) {
			t.Fatalf("%s: allowed an object that is not one: %.200q", kind, object)
		}
	})
}

// isObjectOf tells whether object, as sent, may be an object of kind: JSON whose kind, if
// any, is kind. A raw body is not judged.
func isObjectOf(object []byte, kind string, raw bool) bool {
	if raw {
		return true // the fuzzer wrote the whole review, a valid one included
	}
	var typed struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(object, &typed); err != nil {
		return false
	}
	return typed.Kind == "" || typed.Kind == kind
}

// builtinProviders is the registry of every provider this build implements.
func builtinProviders() *provider.Registry {
	p, _ := builtin.Registries(nil)
	return p
}
