package restclient

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0}, {"30", 30 * time.Second}, {"-1", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := retryAfter(tc.header, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

// TestErrorsQuoteNoBodyOfAWrite: a failed GET quotes the vendor's message, a failed write
// never does (its answer may echo the value sent), and a truncated answer is described,
// not quoted.
func TestErrorsQuoteNoBodyOfAWrite(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/truncated":
			_, _ = w.Write([]byte(`{"value":"hush`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "bad value hush-hush"})
		}
	}))
	t.Cleanup(srv.Close)
	c := &Client{Service: "svc", BaseURL: srv.URL, HTTP: srv.Client(), Message: func(b []byte) string {
		var m struct{ Message string }
		_ = json.Unmarshal(b, &m)
		return m.Message
	}}
	ctx := context.Background()
	_, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/read"}, nil)
	if err == nil || !strings.Contains(err.Error(), "svc GET /read: HTTP 400 Bad Request: bad value") || Status(err) != 400 {
		t.Errorf("a failed GET = %v", err)
	}
	_, err = c.Do(ctx, Request{Method: http.MethodPost, Path: "/write", Body: map[string]string{"v": "hush-hush"}}, nil)
	if err == nil || strings.Contains(err.Error(), "hush") {
		t.Errorf("a failed POST = %v, want no message", err)
	}
	var out map[string]string
	_, err = c.Do(ctx, Request{Method: http.MethodGet, Path: "/truncated"}, &out)
	if err == nil || strings.Contains(err.Error(), "hush") || !strings.Contains(err.Error(), "ends too early") {
		t.Errorf("a truncated answer = %v", err)
	}
}
