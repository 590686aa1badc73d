package v1

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDurationKeepsText(t *testing.T) {
	for _, text := range []string{"1m", "1h30m", "0", "90s", "1m0s"} {
		var d Duration
		if err := json.Unmarshal([]byte(`"`+text+`"`), &d); err != nil {
			t.Fatal(err)
		}
		if err := d.Err(); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		out, _ := json.Marshal(d)
		if string(out) != `"`+text+`"` {
			t.Errorf("%s read back as %s", text, out)
		}
	}
	var d Duration
	_ = json.Unmarshal([]byte(`"1m"`), &d)
	if d.Duration != time.Minute {
		t.Fatalf("parsed %s", d.Duration)
	}
	d.Duration = 2 * time.Minute // changed in code: the old text no longer applies
	if out, _ := json.Marshal(d); string(out) != `"2m0s"` {
		t.Errorf("changed duration marshalled as %s", out)
	}
}

func TestDurationInvalidTextDecodes(t *testing.T) {
	var d Duration
	if err := json.Unmarshal([]byte(`"forever"`), &d); err != nil {
		t.Fatalf("invalid text must decode, got %v", err)
	}
	if d.Err() == nil || d.Duration != 0 {
		t.Fatalf("invalid text not reported: %v %s", d.Err(), d.Duration)
	}
	if out, _ := json.Marshal(d); string(out) != `"forever"` {
		t.Errorf("invalid text not kept: %s", out)
	}
	if err := json.Unmarshal([]byte(`5`), &d); err == nil {
		t.Error("a number decoded as a duration")
	}
}
