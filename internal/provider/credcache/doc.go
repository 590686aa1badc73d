// Package credcache keeps one provider credential (an access token, a session) per client
// and replaces it before it expires. Concurrent callers wait for one login instead of each
// logging in. It never logs and never puts a credential in an error.
package credcache
