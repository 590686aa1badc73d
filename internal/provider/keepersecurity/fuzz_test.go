package keepersecurity

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzParseConfig: whatever the authRef Secret holds, reading it does not panic, and an
// error quotes none of it.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"hostname":"keepersecurity.com","clientId":"c2VjcmV0LWNsaWVudA==","privateKey":"bm90LWEta2V5","appKey":"c2hvcnQ="}`))
	f.Add([]byte(base64.StdEncoding.EncodeToString([]byte(`{"clientId":"x","privateKey":"y","appKey":"z","hostname":"http://h"}`))))
	f.Add([]byte("not base64 at all"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, err := parseConfig(raw, "authRef")
		if err == nil {
			return
		}
		text := strings.TrimSpace(string(raw))
		if len(text) >= 8 && strings.Contains(err.Error(), text) {
			t.Errorf("the error quotes the configuration: %v", err)
		}
	})
}
