package restclient

import (
	"context"
	"sync"
	"time"
)

// renewBefore is how long before its expiry a cached token is replaced.
const renewBefore = time.Minute

// Token is one store's access token, obtained by a login and kept until shortly before it
// expires, so that reads do not log in one by one. Concurrent callers wait for one login.
type Token struct {
	login func(ctx context.Context) (token string, expires time.Time, err error)

	mu      sync.Mutex
	value   string
	expires time.Time
}

// NewToken returns a Token that logs in with login; a zero expiry means the token does not
// expire.
func NewToken(login func(ctx context.Context) (string, time.Time, error)) *Token {
	return &Token{login: login}
}

// Get returns the cached token, logging in first when there is none or it is about to
// expire.
func (t *Token) Get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.value != "" && (t.expires.IsZero() || time.Until(t.expires) > renewBefore) {
		return t.value, nil
	}
	value, expires, err := t.login(ctx)
	if err != nil {
		return "", err
	}
	t.value, t.expires = value, expires
	return value, nil
}

// Forget drops the cached token if it is still token (the server refused it), so the next
// Get logs in again.
func (t *Token) Forget(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.value == token {
		t.value = ""
	}
}
