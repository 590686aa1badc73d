package lossless_test

import (
	"strconv"
	"testing"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/lossless"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// smallNumber is a toy section: the hub holds any number, the spoke only numbers below ten
// and "big" for the others.
var smallNumber = lossless.Section[int, string]{
	Name: "spec.number",
	Down: func(n int) string {
		if n < 10 {
			return strconv.Itoa(n)
		}
		return "big"
	},
	Up: func(s string) int {
		n, _ := strconv.Atoi(s)
		return n
	},
}

var color = lossless.HubField[string]{Name: "spec.color", Default: "blue"}

// down converts a hub object (its annotations, number and color) to the spoke.
func down(t *testing.T, annotations map[string]string, number int, hubColor string) (map[string]string, string) {
	t.Helper()
	st, err := lossless.Open(annotations, "v1", "v0")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	spoke := smallNumber.FromHub(st, number)
	color.Keep(st, hubColor)
	out, err := st.Close(annotations)
	if err != nil {
		t.Fatalf("close: %v", err)
	}
	return out, spoke
}

// up converts a spoke object back to the hub.
func up(t *testing.T, annotations map[string]string, spoke string) (map[string]string, int, string) {
	t.Helper()
	st, err := lossless.Open(annotations, "v0", "v1")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	number := smallNumber.ToHub(st, spoke)
	hubColor := color.Restore(st)
	out, err := st.Close(annotations)
	if err != nil {
		t.Fatalf("close: %v", err)
	}
	return out, number, hubColor
}

func TestStash(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		number      int
		color       string
		// edit changes the spoke before it goes back up; nil leaves it.
		edit func(annotations map[string]string, spoke string) (map[string]string, string)
		// wantKept is the spoke's annotation.
		wantKept string
		// wantNumber and wantColor are the hub's values after the return trip.
		wantNumber int
		wantColor  string
	}{
		{
			name: "nothing lost, nothing kept", number: 7, color: "blue",
			wantNumber: 7, wantColor: "blue",
		},
		{
			name: "what the spoke cannot hold is kept", number: 42, color: "red",
			wantKept:   `{"v1":{"spec.color":"red","spec.number":42}}`,
			wantNumber: 42, wantColor: "red",
		},
		{
			name: "other annotations and other versions' values stay",
			annotations: map[string]string{
				"team": "a", esv1.AnnotationConversionData: `{"v2":{"spec.shade":"dark"}}`,
			},
			number: 3, color: "blue",
			wantKept:   `{"v2":{"spec.shade":"dark"}}`,
			wantNumber: 3, wantColor: "blue",
		},
		{
			name: "a spoke edit of a kept section wins", number: 42, color: "blue",
			edit: func(annotations map[string]string, _ string) (map[string]string, string) {
				return annotations, "8"
			},
			wantKept:   `{"v1":{"spec.number":42}}`,
			wantNumber: 8, wantColor: "blue",
		},
		{
			name: "without the annotation the spoke's meaning and the default apply", number: 42, color: "red",
			edit:       func(_ map[string]string, spoke string) (map[string]string, string) { return nil, spoke },
			wantKept:   `{"v1":{"spec.color":"red","spec.number":42}}`,
			wantNumber: 0, wantColor: "blue",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			annotations, spoke := down(t, tt.annotations, tt.number, tt.color)
			if got := annotations[esv1.AnnotationConversionData]; got != tt.wantKept {
				t.Errorf("spoke annotation = %s, want %s", got, tt.wantKept)
			}
			if tt.edit != nil {
				annotations, spoke = tt.edit(annotations, spoke)
			}
			back, number, hubColor := up(t, annotations, spoke)
			if number != tt.wantNumber || hubColor != tt.wantColor {
				t.Errorf("hub number, color = %d, %s; want %d, %s", number, hubColor, tt.wantNumber, tt.wantColor)
			}
			if tt.edit == nil && len(back) != len(tt.annotations) {
				t.Errorf("hub annotations = %v, want %v", back, tt.annotations)
			}
			for key, value := range tt.annotations {
				if back[key] != value {
					t.Errorf("hub annotation %s = %q, want %q", key, back[key], value)
				}
			}
		})
	}
}

func TestStashSpokeOnlyValues(t *testing.T) {
	// "07" reads as 7 in the hub, which shows as "7": the spoke's spelling is kept on the hub.
	hubAnnotations, number, _ := up(t, nil, "07")
	if want := `{"v0":{"spec.number":"07"}}`; hubAnnotations[esv1.AnnotationConversionData] != want {
		t.Errorf("hub annotation = %v, want %s", hubAnnotations, want)
	}
	annotations, spoke := down(t, hubAnnotations, number, "blue")
	if spoke != "07" || annotations != nil {
		t.Errorf("spoke = %q with %v, want 07 without annotations", spoke, annotations)
	}
	// A hub edit makes the kept spelling stale: the spoke shows the hub's value.
	if _, spoke = down(t, hubAnnotations, 9, "blue"); spoke != "9" {
		t.Errorf("after a hub edit, spoke = %q, want 9", spoke)
	}
}

func TestStashRejectsForeignAnnotations(t *testing.T) {
	if _, err := lossless.Open(map[string]string{esv1.AnnotationConversionData: "[1,2]"}, "v1", "v0"); err == nil {
		t.Error("an annotation that is not an object of versions opened")
	}
	st, err := lossless.Open(map[string]string{esv1.AnnotationConversionData: `{"v0":{"spec.number":{}}}`}, "v1", "v0")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	smallNumber.FromHub(st, 1)
	if _, err := st.Close(nil); err == nil {
		t.Error("a kept value of the wrong type closed without error")
	}
}

// TestSpokeField follows a value only the spoke has through the hub and back.
func TestSpokeField(t *testing.T) {
	shade := lossless.SpokeField[*string]{Name: "spec.shade"}
	dark := "dark"
	st, err := lossless.Open(nil, "v0", "v1")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	shade.Keep(st, &dark)
	hubAnnotations, err := st.Close(nil)
	if err != nil {
		t.Fatalf("close: %v", err)
	}
	if want := `{"v0":{"spec.shade":"dark"}}`; hubAnnotations[esv1.AnnotationConversionData] != want {
		t.Errorf("hub annotation = %v, want %s", hubAnnotations, want)
	}
	if st, err = lossless.Open(hubAnnotations, "v1", "v0"); err != nil {
		t.Fatalf("open: %v", err)
	}
	back := shade.Restore(st)
	spokeAnnotations, err := st.Close(hubAnnotations)
	if err != nil {
		t.Fatalf("close: %v", err)
	}
	if back == nil || *back != "dark" || spokeAnnotations != nil {
		t.Errorf("spoke value %v with annotations %v, want dark without annotations", back, spokeAnnotations)
	}

	// A spoke without the value keeps nothing.
	if st, err = lossless.Open(nil, "v0", "v1"); err != nil {
		t.Fatalf("open: %v", err)
	}
	shade.Keep(st, nil)
	if annotations, err := st.Close(nil); err != nil || annotations != nil {
		t.Errorf("annotations %v, %v; want none", annotations, err)
	}
}
