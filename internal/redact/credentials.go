package redact

import "sync"

// MaxCredentials is how many distinct credentials the process remembers. Past it, those
// remembered longest ago are forgotten first: a rotated token or key stops being used, and
// an operator that renews short-lived tokens for every store must not grow without bound.
const MaxCredentials = 4096

// credentials are the values that authenticate Ferry to its providers: the keys of the
// Secrets a store's auth section names, the tokens the API server issues for its service
// accounts, the tokens a provider's login returns. Unlike a Set they belong to no single
// reconcile: a store's validation, a finalizer and any number of ExternalSecrets use the
// same token, and a backend that echoes the request can put it in any of their messages.
// Every Set, a nil one included, redacts them too.
var credentials registry

type registry struct {
	mu sync.Mutex
	// seen maps each credential to when it was last remembered, in Remember calls.
	seen map[string]uint64
	tick uint64
	set  *Set
}

// RememberCredential records values that authenticate Ferry to a provider, so that no
// message of the process, whichever reconcile writes it, shows them. Call it where a
// credential is read or obtained, before it is used.
func RememberCredential(values ...[]byte) {
	credentials.remember(values)
}

// RememberCredentialString is RememberCredential for a credential held as a string.
func RememberCredentialString(value string) {
	credentials.remember([][]byte{[]byte(value)})
}

func (r *registry) remember(values [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen, r.set = map[string]uint64{}, New()
	}
	for _, v := range values {
		if len(v) == 0 {
			continue
		}
		r.tick++
		if _, ok := r.seen[string(v)]; !ok {
			r.set.Add(v)
		}
		r.seen[string(v)] = r.tick
	}
	if len(r.seen) > MaxCredentials {
		r.forgetOldest()
	}
}

// forgetOldest keeps the three quarters of MaxCredentials remembered most recently, so
// that the set is rebuilt once per quarter of the limit rather than on every new value.
func (r *registry) forgetOldest() {
	keep := r.tick - MaxCredentials*3/4
	r.set = New()
	for v, t := range r.seen {
		if t <= keep {
			delete(r.seen, v)
			continue
		}
		r.set.Add([]byte(v))
	}
}

// forms returns the known forms of every credential, longest first.
func (r *registry) forms() []knownForm {
	r.mu.Lock()
	set := r.set
	r.mu.Unlock()
	if set == nil {
		return nil
	}
	return set.own()
}
