package vault

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// TestReadYourWrites checks that the replication state a server returns (X-Vault-Index) is
// sent back on later requests. Vault's dev server (open source) never returns one, so an
// in-process server stands in for a Vault Enterprise performance standby.
func TestReadYourWrites(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get(headerIndex))
		mu.Unlock()
		w.Header().Set(headerIndex, "state-"+r.URL.Path)
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	for _, enabled := range []bool{true, false} {
		seen = nil
		tr := &transport{server: srv.URL, http: srv.Client(), readYourWrites: enabled}
		for _, path := range []string{"a", "b", "c"} {
			if err := tr.do(context.Background(), request{method: http.MethodGet, path: path}, nil); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"", "state-/v1/a", "state-/v1/b"}
		if !enabled {
			want = []string{"", "", ""}
		}
		mu.Lock()
		for i := range want {
			if seen[i] != want[i] {
				t.Errorf("readYourWrites=%v: request %d sent index %q, want %q", enabled, i, seen[i], want[i])
			}
		}
		mu.Unlock()
	}
}
