package akeyless

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// maxResponseBytes bounds what is read of one Akeyless answer.
const maxResponseBytes = 16 << 20

// maxMessage bounds the part of Akeyless's error message an error quotes.
const maxMessage = 300

// api sends the commands of Akeyless's REST API (v2) to one endpoint: every command is a
// POST of a JSON body to /<command>, with the token inside the body.
type api struct {
	// base is the API's URL; with findV2, a gateway's root that may need "/v2" (resolved
	// by the first command).
	base   string
	findV2 bool
	once   sync.Once
	http   *http.Client
	// clock is the time source of token expiries; nil is time.Now.
	clock func() time.Time
}

func (a *api) now() time.Time {
	if a.clock != nil {
		return a.clock()
	}
	return time.Now()
}

// hint says what a user checks for a status Akeyless answered.
func hint(command string, status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return provider.RateLimitHint
	case command == "auth" && (status == http.StatusUnauthorized || status == http.StatusForbidden):
		return "Akeyless did not accept the credentials: check the access id, the access type, and its access key, Kubernetes auth config name or cloud identity"
	case status == http.StatusUnauthorized:
		return "Akeyless did not accept the token"
	case status == http.StatusForbidden:
		return "the auth method's access role does not allow this item: check the role's rules and sub-claims"
	}
	return ""
}

// errorMessage reads Akeyless's message from an error body: a JSON object whose "error" (or
// "message") names what failed. Item names, never values, appear in it.
func errorMessage(raw []byte) string {
	var body struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &body) != nil {
		return ""
	}
	msg := body.Error
	if msg == "" {
		msg = body.Message
	}
	return truncate(msg)
}

// truncate bounds a message quoted from a service to maxMessage bytes.
func truncate(msg string) string {
	msg = strings.TrimSpace(msg)
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "…"
	}
	return msg
}

// do posts body to /<command> and decodes the JSON answer into out. Errors quote
// Akeyless's error message only, never an answer's body.
func (a *api) do(ctx context.Context, command string, body, out any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encoding an akeyless %s request: %w", command, err)
	}
	a.once.Do(func() { a.resolveV2(ctx) })
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/"+command, bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("akeyless %s: %w", command, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("akeyless %s: %w", command, restclient.UnwrapURLError(err))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("akeyless %s: reading the answer: %w", command, restclient.UnwrapURLError(err))
	}
	if resp.StatusCode >= 400 {
		return &provider.StatusError{Service: "akeyless", Method: http.MethodPost, Path: "/" + command,
			Status: resp.StatusCode, Message: errorMessage(answer), Hint: hint(command, resp.StatusCode)}
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("akeyless %s: the answer is not the JSON expected (%d bytes)", command, len(answer))
	}
	return nil
}

// resolveV2 follows ESO's rule for akeylessGWApiURL: the URL is Akeyless's v2 API when a
// POST to it answers "unknown command" (the API's answer to its root); otherwise it is a
// gateway's root, whose v2 API is below /v2. A URL ending in /v2 is taken as written. An
// unreachable URL is kept, for the command to fail with the reason.
func (a *api) resolveV2(ctx context.Context) {
	if !a.findV2 || strings.HasSuffix(a.base, "/v2") {
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base, http.NoBody)
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxMessage*4))
	if err != nil || strings.Contains(string(answer), "unknown command") {
		return
	}
	a.base += "/v2"
}

// defaultTokenLife is how long a token is taken to live when Akeyless's answer does not say
// (as ESO, below the Kubernetes auth method's default of five minutes).
const defaultTokenLife = 4 * time.Minute

// tokenExpiry reads the expiration of an /auth answer; a missing or unreadable one gives
// defaultTokenLife from now.
func tokenExpiry(expiration string, now time.Time) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 -0700 MST", "2006-01-02 15:04:05.999999999 -0700 MST"} {
		if t, err := time.Parse(layout, strings.TrimSpace(expiration)); err == nil && t.After(now) {
			return t
		}
	}
	return now.Add(defaultTokenLife)
}
