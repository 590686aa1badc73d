package devservers

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestManifests checks that the rendered manifests name every target and leave no placeholder: each ExternalSecret whose sync
// the e2e test checks is in its provider's rendered manifests, pointed at a loopback
// stand-in.
func TestManifests(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	files, err := s.Manifests()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Providers) {
		t.Fatalf("%d manifest files for %d providers", len(files), len(Providers))
	}
	names := map[string]map[string]bool{} // provider → kind/name
	for _, p := range Providers {
		raw := files[p+".yaml"]
		// Oracle's store names a region, whose hosts the operator's proxy tunnels to the stand-in.
		loopback := p == "oracle" || bytes.Contains(raw, []byte("http://127.0.0.1:")) || bytes.Contains(raw, []byte("https://127.0.0.1:"))
		if bytes.Contains(raw, []byte("{{")) || !loopback {
			t.Errorf("%s: a placeholder is left or no loopback address is written:\n%s", p, raw)
		}
		names[p] = map[string]bool{}
		for _, doc := range strings.Split(string(raw), "\n---\n") {
			var obj struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj.Kind == "" {
				t.Errorf("%s: a document does not parse as an object (%v):\n%s", p, err, doc)
				continue
			}
			names[p][obj.Kind+"/"+obj.Metadata.Name] = true
		}
	}
	for _, tg := range s.Targets() {
		if !names[tg.Provider]["ExternalSecret/"+tg.ExternalSecret] {
			t.Errorf("%s: no ExternalSecret %s in its manifests", tg.Provider, tg.ExternalSecret)
		}
		if len(tg.Data) == 0 {
			t.Errorf("%s/%s: no data to check", tg.Provider, tg.ExternalSecret)
		}
	}
	if len(s.Targets()) < len(Providers) {
		t.Errorf("%d targets; want at least one a provider", len(s.Targets()))
	}
}
