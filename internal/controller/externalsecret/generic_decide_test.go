package externalsecret

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/failure"
	"github.com/ferryhq/ferry/internal/render"
)

func TestParseGenericTargetKinds(t *testing.T) {
	got, err := ParseGenericTargetKinds([]string{"ConfigMap", " example.com/Widget "})
	want := []schema.GroupKind{{Kind: "ConfigMap"}, {Group: "example.com", Kind: "Widget"}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "/Widget", "example.com/", "a/b/C"} {
		if _, err := ParseGenericTargetKinds([]string{bad}); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestGenericTargetsAllow(t *testing.T) {
	manifest := func(apiVersion, kind string) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{Spec: esv1.ExternalSecretSpec{Target: esv1.ExternalSecretTarget{
			Manifest: &esv1.ManifestReference{APIVersion: apiVersion, Kind: kind}}}}
	}
	widgets := []schema.GroupKind{{Kind: "ConfigMap"}, {Group: "example.com", Kind: "Widget"}}
	for _, tt := range []struct {
		name    string
		targets GenericTargets
		es      *esv1.ExternalSecret
		reason  string // "" allowed
		mention string
	}{
		{"off by default", GenericTargets{}, manifest("v1", "ConfigMap"), reasonGenericTargetsDisabled, "--unsafe-allow-generic-targets"},
		{"any kind when none listed", GenericTargets{Enabled: true}, manifest("example.com/v1", "Widget"), "", ""},
		{"listed core kind", GenericTargets{Enabled: true, Kinds: widgets}, manifest("v1", "ConfigMap"), "", ""},
		{"listed kind, any version", GenericTargets{Enabled: true, Kinds: widgets}, manifest("example.com/v2beta1", "Widget"), "", ""},
		{"same kind, other group", GenericTargets{Enabled: true, Kinds: widgets}, manifest("other.io/v1", "Widget"), reasonTargetKindNotAllowed, "Widget.other.io"},
		{"not listed", GenericTargets{Enabled: true, Kinds: widgets}, manifest("v1", "ServiceAccount"), reasonTargetKindNotAllowed, "ServiceAccount"},
		{"no apiVersion", GenericTargets{Enabled: true}, manifest("a/b/c", "Widget"), esv1.ReasonInvalidSpec, "apiVersion"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.targets.allow(tt.es)
			if got := failure.Reason(err, ""); got != tt.reason {
				t.Fatalf("reason %q (%v), want %q", got, err, tt.reason)
			}
			if err != nil && !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("message %q does not mention %q", err, tt.mention)
			}
		})
	}
}

func TestGenericPlacements(t *testing.T) {
	es := func(template *esv1.ExternalSecretTemplate) *esv1.ExternalSecret {
		return &esv1.ExternalSecret{Spec: esv1.ExternalSecretSpec{Target: esv1.ExternalSecretTarget{Template: template}}}
	}
	configMap := schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	widget := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	data := render.Result{Data: map[string][]byte{"text": []byte("a"), "bin": {0xff, 0xfe}}}
	for _, tt := range []struct {
		name   string
		es     *esv1.ExternalSecret
		gvk    schema.GroupVersionKind
		shaped render.Result
		want   string
	}{
		{"ConfigMap: text in data, bytes in binaryData", es(nil), configMap, data, "[{[data] map[text:a]} {[binaryData] map[bin://4=]}]"},
		{"other kind without template: spec.data", es(nil), widget, render.Result{Data: map[string][]byte{"k": []byte("v")}}, "[{[spec data] map[k:v]}]"},
		{"other kind with template: data, then fields", es(&esv1.ExternalSecretTemplate{}), widget,
			render.Result{Data: map[string][]byte{"k": []byte("v")}, Fields: []render.Field{{Path: []string{"spec", "db"}, Value: int64(1)}}},
			"[{[data] map[k:v]} {[spec db] 1}]"},
		{"nothing rendered", es(nil), configMap, render.Result{}, "[]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := genericPlacements(tt.es, tt.gvk, tt.shaped)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, p := range got {
				parts = append(parts, fmt.Sprintf("{%v %v}", p.path, p.value))
			}
			if s := "[" + strings.Join(parts, " ") + "]"; s != tt.want {
				t.Errorf("got %s, want %s", s, tt.want)
			}
		})
	}
	if _, err := genericPlacements(es(nil), widget, data); err == nil || !strings.Contains(err.Error(), `"bin"`) {
		t.Errorf("bytes that are not UTF-8 in a custom resource: %v, want an error naming the key", err)
	}
}

func TestPlace(t *testing.T) {
	existing := func() map[string]any {
		return map[string]any{
			"data": map[string]any{"old": "1", "kept": "2"},
			"spec": map[string]any{"db": map[string]any{"host": "a", "extra": "x"}, "note": "mine", "gone": "g"},
		}
	}
	placements := []placement{
		{path: []string{"data"}, value: map[string]any{"new": "3"}},
		{path: []string{"spec", "db"}, value: map[string]any{"host": "b"}},
		{path: []string{"spec", "db"}, value: map[string]any{"port": int64(5432)}},
	}
	previous := [][]string{{"data"}, {"spec", "db"}, {"spec", "gone"}}
	for _, tt := range []struct {
		name  string
		merge bool
		want  string
	}{
		{"owned paths are replaced, a path no longer rendered removed", false,
			"map[data:map[new:3] spec:map[db:map[host:b port:5432] note:mine]]"},
		{"merge keeps what the object holds", true,
			"map[data:map[kept:2 new:3 old:1] spec:map[db:map[extra:x host:b port:5432] gone:g note:mine]]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			obj := existing()
			paths := place(obj, placements, previous, tt.merge)
			if got := fmt.Sprint(obj); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if fmt.Sprint(paths) != "[[data] [spec db]]" {
				t.Errorf("paths %v", paths)
			}
		})
	}
	// A scalar on the way is replaced by the mapping the path needs.
	obj := map[string]any{"spec": "text"}
	place(obj, []placement{{path: []string{"spec", "db"}, value: "v"}}, nil, false)
	if fmt.Sprint(obj) != "map[spec:map[db:v]]" {
		t.Errorf("got %v", obj)
	}
}
