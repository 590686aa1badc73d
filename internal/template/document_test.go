package template

import (
	"fmt"
	"strings"
	"testing"
)

func TestRenderDocument(t *testing.T) {
	r, err := New(EngineV2, map[string][]byte{"host": []byte("db.internal"), "pass": []byte("hunter2-secret")})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := r.RenderDocument("literal", "host: {{ .host }}\nport: 5432\nratio: 0.5\ntls: true\nnone: null\nlist: [a, 1]\nnested: {k: v}\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "map[host:db.internal list:[a 1] nested:map[k:v] none:<nil> port:5432 ratio:0.5 tls:true]"
	if got := fmt.Sprint(doc); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	m := doc.(map[string]any)
	if _, ok := m["port"].(int64); !ok {
		t.Errorf("port is %T, want int64 as in an unstructured object", m["port"])
	}
	if _, ok := m["ratio"].(float64); !ok {
		t.Errorf("ratio is %T, want float64", m["ratio"])
	}

	for _, bad := range []string{"key: [{{ .pass }}", "{{ .pass }}: {a: 1}: b", "[1, .inf]: x\n? [a]\n: b"} {
		_, err := r.RenderDocument("literal", bad)
		if err == nil {
			t.Errorf("%q: no error", bad)
			continue
		}
		if strings.Contains(err.Error(), "hunter2-secret") {
			t.Errorf("%q: the error carries a value: %v", bad, err)
		}
		if !strings.Contains(err.Error(), "literal") {
			t.Errorf("%q: the error %v does not name the template", bad, err)
		}
	}
}
