package generator

import (
	"encoding/json"
	"strings"
	"testing"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// The calls against a real Vault run in the ExternalSecret controller's tests; these check
// how an answer becomes values.
func TestVaultValues(t *testing.T) {
	answer := json.RawMessage(`{"request_id":"r1","lease_id":"database/creds/app/x","lease_duration":3600,
		"data":{"username":"v-app-x","password":"p4ss","ttl":3600,"roles":["a","b"],"meta":{"k": "v"}},
		"auth":null}`)
	login := json.RawMessage(`{"data":null,"auth":{"client_token":"hvs.x","policies":["default"],"renewable":true}}`)
	tests := []struct {
		name       string
		answer     json.RawMessage
		resultType genv1alpha1.VaultDynamicSecretResultType
		allowEmpty bool
		want       map[string]string
		err        string
	}{
		{name: "data by default", answer: answer, want: map[string]string{
			"username": "v-app-x", "password": "p4ss", "ttl": "3600", "roles": `["a","b"]`, "meta": `{"k":"v"}`}},
		{name: "auth", answer: login, resultType: genv1alpha1.VaultResultAuth, want: map[string]string{
			"client_token": "hvs.x", "policies": `["default"]`, "renewable": "true"}},
		{name: "raw", answer: login, resultType: genv1alpha1.VaultResultRaw, want: map[string]string{
			"data": "", "auth": `{"client_token":"hvs.x","policies":["default"],"renewable":true}`}},
		{name: "no data", answer: login, err: "the answer has no data; set allowEmptyResponse"},
		{name: "no data allowed", answer: login, allowEmpty: true, want: map[string]string{}},
		{name: "no body", answer: nil, resultType: genv1alpha1.VaultResultAuth, err: "the answer has no auth"},
		{name: "data not an object", answer: json.RawMessage(`{"data":"text"}`), err: "the data of the answer is not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := vaultValues(tt.answer, tt.resultType, tt.allowEmpty, "GET", "database/creds/app")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got keys %v, want %v", keysOf(got), tt.want)
			}
			for k, v := range tt.want {
				if string(got[k]) != v {
					t.Errorf("%s = %s, want %s", k, got[k], v)
				}
			}
		})
	}
}
