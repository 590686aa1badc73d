package secretserver

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/provider/property"
)

// FuzzProperty feeds Secret Server answers and properties to ESO's property rule: it must
// not panic, a miss must be ErrNoSuchProperty, and an error must quote no field's value.
func FuzzProperty(f *testing.F) {
	f.Add(`{"id":1,"items":[{"slug":"data","fieldName":"Data","itemValue":"{\"a\":{\"b\":\"s3cr3t\"}}"}]}`, "a.b")
	f.Add(`{"id":1,"items":[{"slug":"password","fieldName":"Password","itemValue":"s3cr3t"}]}`, "Password")
	f.Add(`{"id":1,"items":[{"slug":"data","itemValue":"[1,2,{\"x\":\"s3cr3t\"}]"}]}`, "2.x.y")
	f.Add(`{"items":null}`, "")
	f.Fuzz(func(t *testing.T, answer, path string) {
		var s secret
		if json.Unmarshal([]byte(answer), &s) != nil {
			return
		}
		_, err := s.property(path)
		if err == nil {
			return
		}
		if !errors.Is(err, property.ErrNoSuchProperty) {
			t.Fatalf("a miss is %v, not ErrNoSuchProperty", err)
		}
		for _, it := range s.Items {
			// Values that are also the path, or part of the fixed message, cannot be told apart.
			if len(it.ItemValue) >= 4 && !strings.Contains(path, it.ItemValue) && strings.Contains(err.Error(), it.ItemValue) &&
				!strings.Contains("is neither a key of the JSON in the first field nor the slug or name of a field property does not exist in the remote value", it.ItemValue) {
				t.Fatalf("the error quotes a field's value: %v", err)
			}
		}
	})
}
