package generator

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestJWTExpiry(t *testing.T) {
	jwt := func(claims string) string {
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".c2ln"
	}
	tests := []struct {
		name, token string
		want        int64
		err         string
	}{
		{"integer", jwt(`{"exp": 1767225600, "sub": "org+ci"}`), 1767225600, ""},
		{"float, as some issuers write it", jwt(`{"exp": 1767225600.0}`), 1767225600, ""},
		{"no exp", jwt(`{"sub": "org+ci"}`), 0, "no exp claim"},
		{"exp a string", jwt(`{"exp": "soon"}`), 0, "no exp claim"},
		{"opaque token", "ghs_abcdef", 0, "not a JWT"},
		{"claims not base64url", "a.b*c.d", 0, "not base64url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jwtExpiry(tt.token)
			if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("jwtExpiry = %d, %v; want %d, %q", got, err, tt.want, tt.err)
			}
		})
	}
}
