package webhook

import (
	"encoding/json"
	"testing"
)

// TestExplicitZerosSurviveConversion: zero values written in the spec (false, 0, "") that
// the typed conversion dropped are put back in the converted object, inside objects and
// lists the converted object has; what the conversion kept or changed, and what is outside
// the spec, is left as it is.
func TestExplicitZerosSurviveConversion(t *testing.T) {
	req := `{"request":{"uid":"1","desiredAPIVersion":"external-secrets.io/v1","objects":[
	  {"apiVersion":"external-secrets.io/v1beta1","kind":"ExternalSecret","metadata":{"name":"a","generation":0},
	   "spec":{"target":{"name":"t","immutable":false},"refreshInterval":"1h",
	           "data":[{"secretKey":"k","remoteRef":{"key":"r","property":""}}],
	           "dataFrom":[{"extract":{"key":"x","decodingStrategy":"None"}},{"find":{"name":{"regexp":".*"}}}],
	           "moved":{"flag":false},"count":0,"big":12345678901234567890}},
	  {"apiVersion":"external-secrets.io/v1beta1","kind":"ClusterSecretStore","metadata":{"name":"s"},
	   "spec":{"provider":{"senhasegura":{"ignoreSslCertificate":false,"url":"https://x"}}}}]}}`
	resp := `{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","response":{"uid":"1","result":{"status":"Success"},"convertedObjects":[
	  {"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","metadata":{"name":"a"},
	   "spec":{"target":{"name":"t"},"refreshInterval":"1h","data":[{"secretKey":"k","remoteRef":{"key":"r"}}],
	           "dataFrom":[{"extract":{"key":"x","decodingStrategy":"None"}}],"big":12345678901234567890}},
	  {"apiVersion":"external-secrets.io/v1","kind":"ClusterSecretStore","metadata":{"name":"s"},
	   "spec":{"provider":{"senhasegura":{"url":"https://x"}}}}]}}`
	converted := convertedObjects(t, req, resp)
	es, _ := json.Marshal(converted[0]["spec"])
	want := `{"big":12345678901234567890,"count":0,"data":[{"remoteRef":{"key":"r","property":""},"secretKey":"k"}],` +
		`"dataFrom":[{"extract":{"decodingStrategy":"None","key":"x"}}],"refreshInterval":"1h","target":{"immutable":false,"name":"t"}}`
	if string(es) != want {
		t.Errorf("ExternalSecret spec\n got %s\nwant %s", es, want)
	}
	if md := converted[0]["metadata"].(map[string]any); md["generation"] != nil {
		t.Errorf("metadata was changed: %v", md)
	}
	store, _ := json.Marshal(converted[1]["spec"])
	if string(store) != `{"provider":{"senhasegura":{"ignoreSslCertificate":false,"url":"https://x"}}}` {
		t.Errorf("store spec = %s", store)
	}
	if out := withZeros([]byte(req), []byte(`{"response":{"result":{"status":"Failure"}}}`)); string(out) != `{"response":{"result":{"status":"Failure"}}}` {
		t.Errorf("a failed conversion was changed: %s", out)
	}
}

// TestAddedEmptyObjectsAreDropped: an empty object the typed conversion wrote where the
// object converted from has no field (a v1beta1 ExternalSecret written without
// secretStoreRef reads back with `secretStoreRef: {}`) is taken out, at the top of the spec
// and inside objects and lists both have; an empty object the user wrote (`find: {}`), an
// object that is not empty, and an object the source has under the same name (a store's
// provider whose only provider the target version lacks) are kept.
func TestAddedEmptyObjectsAreDropped(t *testing.T) {
	req := `{"request":{"uid":"1","desiredAPIVersion":"external-secrets.io/v1beta1","objects":[
	  {"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","metadata":{"name":"a"},
	   "spec":{"target":{"name":"t"},
	           "dataFrom":[{"sourceRef":{"generatorRef":{"kind":"Password","name":"p"}}},{"find":{}}]}},
	  {"apiVersion":"external-secrets.io/v1alpha1","kind":"SecretStore","metadata":{"name":"s"},
	   "spec":{"provider":{"alibaba":{"regionID":"r"}}}}]}}`
	resp := `{"response":{"uid":"1","result":{"status":"Success"},"convertedObjects":[
	  {"apiVersion":"external-secrets.io/v1beta1","kind":"ExternalSecret","metadata":{"name":"a"},
	   "spec":{"secretStoreRef":{},"target":{"name":"t","template":{}},
	           "dataFrom":[{"sourceRef":{"generatorRef":{"kind":"Password","name":"p"}},"extract":{}},{"find":{}}]},
	   "status":{"binding":{}}},
	  {"apiVersion":"external-secrets.io/v1","kind":"SecretStore","metadata":{"name":"s"},
	   "spec":{"provider":{}}}]}}`
	converted := convertedObjects(t, req, resp)
	es, _ := json.Marshal(converted[0]["spec"])
	want := `{"dataFrom":[{"sourceRef":{"generatorRef":{"kind":"Password","name":"p"}}},{"find":{}}],"target":{"name":"t"}}`
	if string(es) != want {
		t.Errorf("ExternalSecret spec\n got %s\nwant %s", es, want)
	}
	if status, _ := json.Marshal(converted[0]["status"]); string(status) != `{"binding":{}}` {
		t.Errorf("status was changed: %s", status)
	}
	if store, _ := json.Marshal(converted[1]["spec"]); string(store) != `{"provider":{}}` {
		t.Errorf("store spec = %s, want the provider object kept", store)
	}
}

// convertedObjects returns the converted objects of the ConversionReview answer resp once
// withZeros has compared them with the request req.
func convertedObjects(t *testing.T, req, resp string) []map[string]any {
	t.Helper()
	var got struct {
		Response struct {
			ConvertedObjects []map[string]any `json:"convertedObjects"`
		} `json:"response"`
	}
	if err := decode(withZeros([]byte(req), []byte(resp)), &got); err != nil {
		t.Fatal(err)
	}
	return got.Response.ConvertedObjects
}
