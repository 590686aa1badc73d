package rollout

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// apiReader counts the reads that reach the API server.
type apiReader struct {
	client.Reader
	gets int
}

func (r *apiReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	r.gets++
	return r.Reader.Get(ctx, key, obj, opts...)
}

// TestReadAsksTheAPIServerOnlyWhenTheCachesMayLag: a Secret or ConfigMap that complete
// metadata caches do not hold is missing without a request (at a cold start, workloads
// reference Secrets not synced yet); one they hold is read for its data; the API server is
// asked when a wrong "missing" would matter (confirm) or a selector narrows the caches.
func TestReadAsksTheAPIServerOnlyWhenTheCachesMayLag(t *testing.T) {
	objects := fake.NewClientBuilder().WithObjects(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "plain"}, Data: map[string][]byte{"k": []byte("v")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "settings"}, Data: map[string]string{"k": "v"}},
	).Build()
	for name, tc := range map[string]struct {
		ref               Ref
		complete, confirm bool
		exists            bool
		gets              int
	}{
		"a Secret nobody holds":                    {ref: Ref{Kind: KindSecret, Name: "later"}, complete: true},
		"a ConfigMap nobody holds":                 {ref: Ref{Kind: KindConfigMap, Name: "later"}, complete: true},
		"an unmanaged Secret":                      {ref: Ref{Kind: KindSecret, Name: "plain"}, complete: true, exists: true, gets: 1},
		"a ConfigMap":                              {ref: Ref{Kind: KindConfigMap, Name: "settings"}, complete: true, exists: true, gets: 1},
		"a Secret the record says existed":         {ref: Ref{Kind: KindSecret, Name: "later"}, complete: true, confirm: true, gets: 1},
		"a Secret outside a narrowing selector":    {ref: Ref{Kind: KindSecret, Name: "later"}, gets: 1},
		"a ConfigMap outside a narrowing selector": {ref: Ref{Kind: KindConfigMap, Name: "later"}, gets: 1},
	} {
		t.Run(name, func(t *testing.T) {
			api := &apiReader{Reader: objects}
			sr := sourceReader{cached: fake.NewClientBuilder().Build(), direct: api, meta: objects, secretMeta: objects,
				secretsComplete: tc.complete, configMapsComplete: tc.complete}
			src, err := sr.read(context.Background(), "ns", tc.ref, tc.confirm)
			if err != nil {
				t.Fatal(err)
			}
			if (src != nil) != tc.exists {
				t.Errorf("read %v: found %v, want %v", tc.ref, src != nil, tc.exists)
			}
			if src != nil && string(src.data["k"]) != "v" {
				t.Errorf("read %v: data %q, want the object's", tc.ref, src.data)
			}
			if api.gets != tc.gets {
				t.Errorf("read %v: %d requests to the API server, want %d", tc.ref, api.gets, tc.gets)
			}
		})
	}
}
