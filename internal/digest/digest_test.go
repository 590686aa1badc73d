package digest

import "testing"

func TestData(t *testing.T) {
	k := Key("key-1")
	a := k.Data(map[string][]byte{"a": []byte("1"), "b": []byte("2")})
	if a != k.Data(map[string][]byte{"b": []byte("2"), "a": []byte("1")}) {
		t.Fatal("digest depends on map order")
	}
	for name, other := range map[string]string{
		"value changed":      k.Data(map[string][]byte{"a": []byte("1"), "b": []byte("3")}),
		"boundary moved":     k.Data(map[string][]byte{"a": []byte("1b"), "": []byte("2")}),
		"other key":          Key("key-2").Data(map[string][]byte{"a": []byte("1"), "b": []byte("2")}),
		"key missing":        k.Data(map[string][]byte{"a": []byte("1")}),
		"empty value vs nil": k.Data(map[string][]byte{"a": []byte("1"), "b": nil, "c": []byte("2")}),
	} {
		if other == a {
			t.Errorf("%s: digest did not change", name)
		}
	}
	if len(a) != 64 {
		t.Fatalf("digest length %d, want 64 hex chars", len(a))
	}
}

func TestParts(t *testing.T) {
	k := Key("k")
	p1 := k.Parts(map[string]map[string][]byte{"secret/a": {"x": []byte("1")}, "configmap/b": {"y": []byte("2")}})
	p2 := k.Parts(map[string]map[string][]byte{"secret/a": {"x": []byte("1")}, "configmap/b": {"y": []byte("3")}})
	if p1 == p2 {
		t.Fatal("digest of parts did not change")
	}
}
