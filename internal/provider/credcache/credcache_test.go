package credcache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestRefreshAfterTwoThirds(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	logins := 0
	s := New(func(context.Context) (Token, error) {
		logins++
		return Token{Value: fmt.Sprint("tok-", logins), Expiry: c.t.Add(9 * time.Minute)}, nil
	}, WithClock(c.now))
	ctx := context.Background()
	for _, tt := range []struct {
		advance time.Duration
		want    string
	}{{0, "tok-1"}, {5 * time.Minute, "tok-1"}, {59 * time.Second, "tok-1"}, {time.Second, "tok-2"}, {time.Minute, "tok-2"}} {
		c.t = c.t.Add(tt.advance)
		got, err := s.Get(ctx)
		if err != nil || got != tt.want {
			t.Fatalf("after %v: Get = %q, %v; want %q", tt.advance, got, err, tt.want)
		}
	}
}

func TestRejectedLogsInAgainOnce(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	logins := 0
	s := New(func(context.Context) (Token, error) {
		logins++
		return Token{Value: fmt.Sprint("tok-", logins)}, nil
	}, WithClock(c.now))
	ctx := context.Background()
	first, _ := s.Get(ctx)
	if s.Rejected(first) {
		t.Error("a token rejected right after its login asks for another login")
	}
	c.t = c.t.Add(time.Minute)
	if !s.Rejected(first) {
		t.Fatal("a rejected token a minute old is not dropped")
	}
	if s.Rejected(first) {
		t.Error("a token already dropped is dropped again")
	}
	if got, _ := s.Get(ctx); got != "tok-2" {
		t.Errorf("Get after a rejection = %q, want a new token", got)
	}
}

func TestConcurrentCallersShareOneLogin(t *testing.T) {
	var mu sync.Mutex
	logins := 0
	s := New(func(context.Context) (Token, error) {
		mu.Lock()
		defer mu.Unlock()
		logins++
		return Token{Value: "tok", Expiry: time.Now().Add(time.Hour)}, nil
	})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() { _, _ = s.Get(context.Background()) })
	}
	wg.Wait()
	if logins != 1 {
		t.Errorf("16 concurrent callers made %d logins, want 1", logins)
	}
}

func TestLoginErrorIsReturned(t *testing.T) {
	boom := errors.New("refused")
	s := New(func(context.Context) (Token, error) { return Token{}, boom })
	if _, err := s.Get(context.Background()); !errors.Is(err, boom) {
		t.Errorf("Get = %v, want the login's error", err)
	}
	s = New(func(context.Context) (Token, error) { return Token{}, nil })
	if _, err := s.Get(context.Background()); err == nil {
		t.Error("an empty token was accepted")
	}
}
