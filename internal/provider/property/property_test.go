package property

import (
	"errors"
	"testing"
)

func TestGet(t *testing.T) {
	doc := []byte(`{"a":"x","n":{"b":{"c":"deep"},"list":[10,{"d":"e"}]},"dotted.key":"dv","esc":{"k.1":"kv"},"num":1.50,"obj":{"z":1},"nil":null}`)
	tests := []struct {
		path, want string
		err        error
	}{
		{path: "a", want: "x"},
		{path: "n.b.c", want: "deep"},
		{path: "n.list.0", want: "10"},
		{path: "n.list.1.d", want: "e"},
		{path: "dotted.key", want: "dv"},
		{path: `esc.k\.1`, want: "kv"},
		{path: "num", want: "1.50"},
		{path: "obj", want: `{"z":1}`},
		{path: "nil", want: ""},
		{path: "missing", err: ErrNoSuchProperty},
		{path: "n.list.7", err: ErrNoSuchProperty},
		{path: "a.b", err: ErrNoSuchProperty},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := Get(doc, tt.path)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Get(%q) error = %v, want %v", tt.path, err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Get(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
			}
		})
	}
}

func TestGetNotJSON(t *testing.T) {
	if _, err := Get([]byte("plain text"), "a"); !errors.Is(err, ErrNotJSON) {
		t.Fatalf("error = %v, want ErrNotJSON", err)
	}
}

func TestSpread(t *testing.T) {
	got, err := Spread([]byte(`{"API_KEY":"1234567","API_HOST":"https://example.com","port":8080,"nested":{"a":"b"},"none":null}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"API_KEY": "1234567", "API_HOST": "https://example.com", "port": "8080", "nested": `{"a":"b"}`, "none": ""}
	if len(got) != len(want) {
		t.Fatalf("got %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("key %s = %q, want %q", k, got[k], v)
		}
	}
	for _, bad := range []string{`[1,2]`, `"s"`, `nope`, `null`} {
		if _, err := Spread([]byte(bad)); !errors.Is(err, ErrNotJSON) {
			t.Errorf("Spread(%s) error = %v, want ErrNotJSON", bad, err)
		}
	}
}

func FuzzGet(f *testing.F) {
	f.Add([]byte(`{"a":{"b":[1,"x"]}}`), "a.b.1")
	f.Add([]byte(`{"a.b":1}`), `a\.b`)
	f.Add([]byte("\x00\xff"), "")
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		v, err := Get(doc, path)
		if err == nil && v == nil {
			t.Fatalf("nil value without error")
		}
		_, _ = Spread(doc)
	})
}

func TestSelectAndSpreadAt(t *testing.T) {
	doc := []byte(`{"a":{"b":"c","n":1},"s":"x"}`)
	if got, err := Select(doc, ""); err != nil || string(got) != string(doc) {
		t.Errorf("Select without a path = %s, %v; want the document", got, err)
	}
	if got, err := Select(doc, "a.b"); err != nil || string(got) != "c" {
		t.Errorf("Select a.b = %s, %v", got, err)
	}
	m, err := SpreadAt(doc, "a")
	if err != nil || string(m["b"]) != "c" || string(m["n"]) != "1" || len(m) != 2 {
		t.Errorf("SpreadAt a = %v, %v", m, err)
	}
	if _, err := SpreadAt(doc, "s"); err == nil {
		t.Error("SpreadAt of a string gave no error")
	}
	if _, err := SpreadAt(doc, "missing"); err == nil {
		t.Error("SpreadAt of a missing path gave no error")
	}
}
