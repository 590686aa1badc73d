package ntlm

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"time"
)

// ErrCredentialsRefused means the server answered the AUTHENTICATE message with 401: the
// user name, domain or password is wrong, or the user may not use the resource.
var ErrCredentialsRefused = errors.New("the server refused the NTLM credentials (401 Unauthorized after the AUTHENTICATE message)")

// errConnectionChanged means the AUTHENTICATE message did not travel on the connection the
// CHALLENGE came on, so the server had no handshake to finish.
var errConnectionChanged = errors.New("the server closed the connection between the NTLM NEGOTIATE and AUTHENTICATE messages " +
	"and then refused the request: NTLM authenticates one kept-alive connection, which the server (or a proxy before it) must keep open")

// drainLimit bounds what is read of a 401 answer's body to reuse its connection.
const drainLimit = 64 << 10

// Transport is an http.RoundTripper that answers a server's NTLM challenge with one
// user's credentials. Build it with NewTransport.
type Transport struct {
	base  *http.Transport
	creds credentials
	// turn lets one request at a time send its messages: NTLM authenticates a connection,
	// and another request sent between a NEGOTIATE and its AUTHENTICATE would take it over.
	turn chan struct{}
}

// NewTransport returns a transport that sends requests through a copy of base, over
// HTTP/1.1 only (HTTP/2 would share the authenticated connection between requests) and
// with one connection per host, so that the messages of a handshake share a connection.
// A caller must therefore close each response body before it sends the next request to the
// same host. username is "DOMAIN\user", "user@example.com" or a bare "user" of the
// domain the server names.
func NewTransport(base *http.Transport, username, password string) *Transport {
	t := base.Clone()
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	t.Protocols = &protocols
	t.ForceAttemptHTTP2 = false
	// A base already used for HTTP/2 has h2 among its ALPN protocols and upgrades.
	t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	if t.TLSClientConfig != nil {
		t.TLSClientConfig.NextProtos = slices.DeleteFunc(t.TLSClientConfig.NextProtos, func(p string) bool { return p == "h2" })
	}
	t.MaxConnsPerHost = 1
	return &Transport{base: t, creds: splitUser(username, password), turn: make(chan struct{}, 1)}
}

// CloseIdleConnections closes the connections the transport keeps open.
func (t *Transport) CloseIdleConnections() { t.base.CloseIdleConnections() }

// RoundTrip sends req once without credentials, which is enough on a connection the server
// already authenticated. To a 401 offering NTLM (or else Negotiate) it runs the handshake:
// the request again with a NEGOTIATE message, then with the AUTHENTICATE message that
// answers the server's CHALLENGE. The body is buffered to be sent each time. A 401 that
// offers neither is returned as it is: no credentials are sent.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if redirectedElsewhere(req) {
		return t.base.RoundTrip(req)
	}
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	select {
	case t.turn <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	defer func() { <-t.turn }()
	resp, err := t.send(req, body, "", nil)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	scheme := offeredScheme(resp.Header.Values("WWW-Authenticate"))
	if scheme == "" {
		return resp, nil
	}
	drain(resp)
	return t.handshake(req, body, scheme)
}

// handshake sends the NEGOTIATE and AUTHENTICATE messages under scheme ("NTLM" or
// "Negotiate") and returns the answer to the second.
func (t *Transport) handshake(req *http.Request, body []byte, scheme string) (*http.Response, error) {
	negotiate := negotiateMessage()
	var negotiated, authenticated net.Conn
	resp, err := t.send(req, body, scheme+" "+base64.StdEncoding.EncodeToString(negotiate), &negotiated)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	token, err := challengeToken(resp.Header.Values("WWW-Authenticate"), scheme)
	drain(resp)
	switch {
	case err != nil:
		return nil, err
	case token == nil:
		return nil, fmt.Errorf("the server answered the NTLM NEGOTIATE message with %s and no CHALLENGE", resp.Status)
	}
	ch, err := parseChallenge(token)
	if err != nil {
		return nil, err
	}
	clientChallenge := make([]byte, 8)
	_, _ = rand.Read(clientChallenge) // crypto/rand.Read does not fail
	auth, err := answer(t.creds, negotiate, ch, clientChallenge, time.Now())
	if err != nil {
		return nil, err
	}
	resp, err = t.send(req, body, scheme+" "+base64.StdEncoding.EncodeToString(auth), &authenticated)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	drain(resp)
	if authenticated != negotiated {
		return nil, errConnectionChanged
	}
	return nil, ErrCredentialsRefused
}

// send sends a copy of req with body and, when auth is set, that Authorization header
// (the caller's own is never sent: auth.ntlm owns the header, as in External Secrets
// Operator). conn, when set, learns the connection the request went on.
func (t *Transport) send(req *http.Request, body []byte, auth string, conn *net.Conn) (*http.Response, error) {
	ctx := req.Context()
	if conn != nil {
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { *conn = info.Conn }})
	}
	out := req.Clone(ctx)
	out.Header.Del("Authorization")
	if auth != "" {
		out.Header.Set("Authorization", auth)
	}
	out.Body, out.GetBody, out.ContentLength = http.NoBody, nil, 0
	if len(body) > 0 {
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.Body, _ = out.GetBody()
		out.ContentLength = int64(len(body))
	}
	return t.base.RoundTrip(out)
}

// readBody reads and closes the request's body, which the handshake sends up to three times.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	return body, nil
}

// redirectedElsewhere: req follows a redirect to another host, which gets no credentials.
func redirectedElsewhere(req *http.Request) bool {
	return req.Response != nil && req.Response.Request != nil && req.Response.Request.URL.Host != req.URL.Host
}

// offeredScheme is "NTLM" when a WWW-Authenticate header offers it, else "Negotiate" when
// one offers that (a Windows server answers it with NTLM when Kerberos is not used), else "".
func offeredScheme(headers []string) string {
	var negotiate bool
	for _, h := range headers {
		for _, challenge := range strings.Split(h, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(challenge), " ")
			switch {
			case strings.EqualFold(name, "NTLM"):
				return "NTLM"
			case strings.EqualFold(name, "Negotiate"):
				negotiate = true
			}
		}
	}
	if negotiate {
		return "Negotiate"
	}
	return ""
}

// challengeToken decodes the token of the WWW-Authenticate header of scheme; nil when no
// header carries one.
func challengeToken(headers []string, scheme string) ([]byte, error) {
	for _, h := range headers {
		name, token, _ := strings.Cut(strings.TrimSpace(h), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(name, scheme) || token == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			return nil, errMalformedChallenge
		}
		return b, nil
	}
	return nil, nil
}

// drain reads what is left of a 401 answer, so that its connection can carry the next
// message, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	_ = resp.Body.Close()
}
