package redact

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCredentialsRedactEveryMessage(t *testing.T) {
	RememberCredential([]byte("cred-long-Xy81Zq"))
	RememberCredentialString("K7")

	var none *Set
	if got := none.String("login as cred-long-Xy81Zq failed"); got != "login as [redacted] failed" {
		t.Errorf("nil Set String = %q", got)
	}
	if got := New().String("K7 is a word Ferry wrote"); got != "K7 is a word Ferry wrote" {
		t.Errorf("a short credential was redacted from text Ferry built: %q", got)
	}
	err := fmt.Errorf("reading key: %w", Foreign(errors.New("token K7 refused, token cred-long-Xy81Zq too")))
	if got := none.Message(err); got != "reading key: token [redacted] refused, token [redacted] too" {
		t.Errorf("nil Set Message = %q", got)
	}
	// A Set's own values and the credentials are replaced together, longest first.
	s := New()
	s.Add([]byte("cred-long"))
	if got := s.String("cred-long-Xy81Zq and cred-long"); got != "[redacted] and [redacted]" {
		t.Errorf("Set String = %q", got)
	}
}

func TestCredentialsForgetTheOldest(t *testing.T) {
	first := "cred-first-Vb20Lm"
	RememberCredentialString(first)
	for i := range MaxCredentials {
		RememberCredentialString(fmt.Sprintf("cred-filler-%06d", i))
	}
	if got := New().String(first); got != first {
		t.Errorf("the credential remembered longest ago is still redacted after %d newer ones: %q", MaxCredentials, got)
	}
	latest := fmt.Sprintf("cred-filler-%06d", MaxCredentials-1)
	if got := New().String(latest); got != Placeholder {
		t.Errorf("the latest credential = %q, want it redacted", got)
	}
	credentials.mu.Lock()
	n := len(credentials.seen)
	credentials.mu.Unlock()
	if n > MaxCredentials {
		t.Errorf("%d credentials remembered, more than MaxCredentials (%d)", n, MaxCredentials)
	}
	// Remembering a credential again keeps it: a store that reads its token on every
	// client build stays redacted however many others come and go.
	kept := "cred-kept-Pw31Ns"
	for i := range 2 * MaxCredentials {
		if i%(MaxCredentials/4) == 0 {
			RememberCredentialString(kept)
		}
		RememberCredentialString(fmt.Sprintf("cred-churn-%06d", i))
	}
	if got := New().String(kept); !strings.Contains(got, Placeholder) {
		t.Errorf("a credential remembered again was forgotten: %q", got)
	}
}
