package credcache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ferryhq/ferry/internal/redact"
)

// Token is a credential and the time it stops working; a zero Expiry never expires.
type Token struct {
	Value  string
	Expiry time.Time
}

// Login obtains a new Token from the backend.
type Login func(ctx context.Context) (Token, error)

// Source holds the current Token of one client. The zero value is not usable: build it
// with New.
type Source struct {
	login Login
	now   func() time.Time
	// minRelogin is the least time between two logins caused by a rejected token, so a
	// backend that rejects every call cannot turn each sync into a login.
	minRelogin time.Duration

	mu        sync.Mutex
	token     Token
	obtained  time.Time
	lastLogin time.Time
}

// Option changes a Source.
type Option func(*Source)

// WithClock sets the clock, for tests.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// New returns a Source that logs in with login when it has no token or its token has
// used two thirds of its life.
func New(login Login, opts ...Option) *Source {
	s := &Source{login: login, now: time.Now, minRelogin: 10 * time.Second}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Get returns a token that is valid for a while yet, logging in when needed.
func (s *Source) Get(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token.Value != "" && (s.token.Expiry.IsZero() || now.Before(s.refreshAt())) {
		return s.token.Value, nil
	}
	tok, err := s.login(ctx)
	if err != nil {
		return "", err
	}
	if tok.Value == "" {
		return "", errors.New("the login answer holds no token")
	}
	redact.RememberCredentialString(tok.Value)
	s.token, s.obtained, s.lastLogin = tok, now, now
	return tok.Value, nil
}

// refreshAt is when two thirds of the token's life have passed.
func (s *Source) refreshAt() time.Time {
	return s.obtained.Add(s.token.Expiry.Sub(s.obtained) * 2 / 3)
}

// Rejected is told that the backend refused token as expired or invalid: the token is
// dropped so that the next Get logs in again. It reports whether a retry with a new token
// is worth it (false when token is not the current one's or a login was just made).
func (s *Source) Rejected(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if token != s.token.Value || s.now().Sub(s.lastLogin) < s.minRelogin {
		return false
	}
	s.token = Token{}
	return true
}
