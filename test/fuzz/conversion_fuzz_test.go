package fuzz

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apix "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/conversion"
	conversionmetrics "sigs.k8s.io/controller-runtime/pkg/webhook/conversion/metrics"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ferryhq/ferry/internal/operator"
	"github.com/ferryhq/ferry/internal/webhook"
)

// conversionVersions are the versions the API server asks the webhook to convert between.
var conversionVersions = []string{"external-secrets.io/v1", "external-secrets.io/v1beta1", "external-secrets.io/v1alpha1"}

// conversionBody wraps object in a ConversionReview asking for version desired, unless raw:
// then object is the whole body, as a client that is not the API server might send.
func conversionBody(object []byte, desired uint8, raw bool) []byte {
	if raw {
		return object
	}
	if !json.Valid(object) {
		object, _ = json.Marshal(string(object))
	}
	review := map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
		"request": map[string]any{
			"uid":               "fuzz",
			"desiredAPIVersion": conversionVersions[int(desired)%len(conversionVersions)],
			"objects":           []json.RawMessage{object},
		},
	}
	b, _ := json.Marshal(review)
	return b
}

// FuzzConversionReview sends the conversion webhook (/convert, as Ferry serves it: the
// controller-runtime handler over Ferry's scheme, behind Ferry's limits) any body. It must
// answer every one: a malformed body with 400, a well-formed review with a response that
// carries the request's UID and either converted objects (as many as were sent, each at the
// desired version) or a failure. A panic in a conversion, which the handler turns into a
// failure, fails the target too (controller-runtime counts it).
func FuzzConversionReview(f *testing.F) {
	handler := webhook.Limit(webhook.KeepExplicitZeros(conversion.NewWebhookHandler(operator.Scheme(), conversion.NewRegistry())),
		webhook.ConversionLimits)
	seeds := []string{
		`{"apiVersion":"external-secrets.io/v1beta1","kind":"ExternalSecret","metadata":{"name":"a","namespace":"n"},"spec":{"secretStoreRef":{"name":"s"},"data":[{"secretKey":"k","remoteRef":{"key":"k"}}]}}`,
		`{"apiVersion":"external-secrets.io/v1alpha1","kind":"ExternalSecret","metadata":{"name":"a"},"spec":{"data":[{"secretKey":"k","remoteRef":{"key":"k"}}],"dataFrom":[{"key":"k"}]}}`,
		`{"apiVersion":"external-secrets.io/v1beta1","kind":"SecretStore","metadata":{"name":"a"},"spec":{"provider":{"aws":{"service":"SecretsManager","region":"eu-west-1"}}}}`,
		`{"apiVersion":"external-secrets.io/v1alpha1","kind":"ClusterSecretStore","metadata":{"name":"a"},"spec":{"provider":{"alibaba":{"regionID":"x"}}}}`,
		`{"apiVersion":"external-secrets.io/v1","kind":"SecretStore","metadata":{"name":"a","annotations":{"external-secrets.io/conversion-data":"{not json"}},"spec":{"provider":{"fake":{}}}}`,
		`{"apiVersion":"external-secrets.io/v1","kind":"ClusterExternalSecret","metadata":{"name":"a"},"spec":{"externalSecretSpec":{}}}`,
		`{"apiVersion":"external-secrets.io/v9","kind":"ExternalSecret","metadata":{"name":"a"}}`,
		`{"apiVersion":"v1","kind":"Secret","metadata":{"name":"a"}}`,
		`{"kind":"ExternalSecret"}`, `null`, `[]`, `"x"`, `{`, "\xff\xfe", strings.Repeat("[", 10000),
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i), false)
	}
	f.Add([]byte(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":null}`), uint8(0), true)
	f.Add([]byte(`{"kind":"ConversionReview","request":{"uid":"1","desiredAPIVersion":"external-secrets.io/v1","objects":[1,"x",null]}}`), uint8(0), true)
	f.Add([]byte{}, uint8(0), true)
	f.Fuzz(func(t *testing.T, object []byte, desired uint8, raw bool) {
		panics := testutil.ToFloat64(conversionmetrics.WebhookPanics)
		body := conversionBody(object, desired, raw)
		req := httptest.NewRequest(http.MethodPost, webhook.ConversionPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)

		if after := testutil.ToFloat64(conversionmetrics.WebhookPanics); after != panics {
			t.Fatalf("a conversion panicked on %q", body)
		}
		if rec.Code == http.StatusBadRequest {
			var review apix.ConversionReview
			if err := json.Unmarshal(body, &review); err == nil && review.Request != nil {
				t.Fatalf("a well-formed review with a request was refused as malformed: %q", body)
			}
			return
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		var review apix.ConversionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil {
			t.Fatalf("answer is not a ConversionReview with a response (%v): %q", err, rec.Body.String())
		}
		var sent apix.ConversionReview
		if err := json.Unmarshal(body, &sent); err != nil || sent.Request == nil {
			t.Fatalf("a body that is not a review was answered as one: %q", body)
		}
		if review.Response.UID != sent.Request.UID {
			t.Errorf("response UID %q, request UID %q", review.Response.UID, sent.Request.UID)
		}
		if review.Response.Result.Status != "Success" {
			return
		}
		if len(review.Response.ConvertedObjects) != len(sent.Request.Objects) {
			t.Fatalf("%d objects converted of %d sent", len(review.Response.ConvertedObjects), len(sent.Request.Objects))
		}
		for _, o := range review.Response.ConvertedObjects {
			var meta runtime.TypeMeta
			if err := json.Unmarshal(o.Raw, &meta); err != nil || meta.APIVersion != sent.Request.DesiredAPIVersion {
				t.Errorf("converted object at %q (%v), want %s", meta.APIVersion, err, sent.Request.DesiredAPIVersion)
			}
		}
	})
}
