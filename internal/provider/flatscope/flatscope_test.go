package flatscope

import (
	"errors"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
)

func TestGetAndProperties(t *testing.T) {
	values := map[string]string{"DB": `{"user":"admin","port":5432}`, "PLAIN": "x"}
	if v, err := Get(values, esv1.ExternalSecretDataRemoteRef{Key: "DB", Property: "port"}); err != nil || string(v) != "5432" {
		t.Errorf("Get DB.port = %q, %v", v, err)
	}
	if _, err := Get(values, esv1.ExternalSecretDataRemoteRef{Key: "NONE"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Get of a missing name = %v, want ErrNotFound", err)
	}
	if _, err := Get(values, esv1.ExternalSecretDataRemoteRef{Key: "PLAIN", Property: "a"}); err == nil || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a property of a plain value = %v, want an error that is not ErrNotFound", err)
	}
	next, err := SetProperty(values["DB"], true, "user", []byte("root"))
	if err != nil || next != `{"port":5432,"user":"root"}` {
		t.Errorf("SetProperty = %s, %v", next, err)
	}
	if _, err := SetProperty("x", true, "user", nil); err == nil {
		t.Error("SetProperty on a plain value gave no error")
	}
	if next, err := SetProperty("", false, "k", []byte("v")); err != nil || next != `{"k":"v"}` {
		t.Errorf("SetProperty on nothing = %s, %v", next, err)
	}
	next, empty, had, err := RemoveProperty(`{"a":"1"}`, "a")
	if err != nil || !had || !empty || next != "{}" {
		t.Errorf("RemoveProperty of the last key = %s, %v, %v, %v", next, empty, had, err)
	}
	if _, _, had, _ := RemoveProperty(`{"a":"1"}`, "b"); had {
		t.Error("RemoveProperty reported a key that was not there")
	}
}
